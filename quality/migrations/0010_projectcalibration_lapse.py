from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("quality", "0009_workerscore_names_say_what_they_hold"),
    ]

    operations = [
        migrations.AddField(
            model_name="projectcalibration",
            name="lapse",
            field=models.FloatField(default=0.0, help_text="ε: the share of items whose answers mislead together (a wrong label most workers agree on); no confidence exceeds about 1 - ε."),
        ),
        migrations.AlterField(
            model_name="projectcalibration",
            name="points",
            field=models.JSONField(default=list, help_text="[ρ, τ, ε, weight]: the calibration posterior, reused by later evaluations until the known truth grows."),
        ),
    ]
