from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training: datasets, runs and models"
    periodic_tasks = {
        "training: mark stalled runs failed": ("training.check_stalled", 60),
        "training: launch runs for projects with enough new labels": ("training.launch_due", 900),
    }
