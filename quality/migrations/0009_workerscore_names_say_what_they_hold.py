# WorkerScore's check counts also count items a reviewer decided, not only gold items; P is an accuracy.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("quality", "0008_suspension_to_accounts"),
    ]

    operations = [
        migrations.RenameField(model_name="workerscore", old_name="gold_checks", new_name="known_truth_checks"),
        migrations.RenameField(model_name="workerscore", old_name="gold_correct", new_name="known_truth_correct"),
        migrations.RenameField(model_name="workerscore", old_name="precision_p", new_name="accuracy_p"),
        migrations.AlterField(
            model_name="workerscore", name="accuracy_p",
            field=models.FloatField(help_text="P: accuracy on known truth, with the prior"),
        ),
    ]
