from django.db import migrations, models


def precision_used_from_results(apps, schema_editor):
    """A run that succeeded before this field kept the precision it used in its result (TrainResult.precision)."""
    TrainingRun = apps.get_model("training", "TrainingRun")
    for run in TrainingRun.objects.filter(metrics__has_key="precision").only("pk", "metrics"):
        TrainingRun.objects.filter(pk=run.pk).update(precision_used=str(run.metrics["precision"])[:8])


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0007_preannotation_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingrun",
            name="precision_used",
            field=models.CharField(blank=True, help_text="The precision the run's processes resolved (fp32, bf16 or fp16); empty until they start.", max_length=8),
        ),
        migrations.RunPython(precision_used_from_results, migrations.RunPython.noop),
    ]
