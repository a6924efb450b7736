# The live shop's corrections (merchants, operators) as answers in truth inference (issue 20).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("quality", "0010_projectcalibration_lapse"),
        ("tasks", "0011_item_source_priority"),
    ]

    operations = [
        migrations.CreateModel(
            name="CorrectionAnswer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.CharField(choices=[("merchant", "Merchant"), ("operator", "Operator")], max_length=16)),
                ("answer", models.JSONField(help_text="Canonical answer form of the project's task type (a label name).")),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("item", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="correction_answers", to="tasks.item")),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tasks.project")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("item", "source"), name="quality_correction_once_per_source")],
            },
        ),
    ]
