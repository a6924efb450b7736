from django.db import migrations, models


def device_used_from_results(apps, schema_editor):
    """A run that succeeded before this field kept the device type it trained on in its result (TrainResult.device)."""
    TrainingRun = apps.get_model("training", "TrainingRun")
    for run in TrainingRun.objects.filter(metrics__has_key="device").only("pk", "metrics"):
        TrainingRun.objects.filter(pk=run.pk).update(device_used=str(run.metrics["device"])[:16])


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0008_run_precision_used"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingrun",
            name="device_used",
            field=models.CharField(blank=True, help_text="The device the run's processes resolved (cpu or cuda); empty until they start.", max_length=16),
        ),
        migrations.RunPython(device_used_from_results, migrations.RunPython.noop),
    ]
