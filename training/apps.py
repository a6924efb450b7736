from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training: datasets, runs and models"
    periodic_tasks = {
        "training: mark stalled runs failed": ("training.check_stalled", 60),
        "training: launch runs for projects with enough new labels": ("training.launch_due", 900),
        "training: turn feedback into items for the crowd": ("training.feedback_to_items", 300),
    }
    # Project managers launch and follow runs, make snapshots and exports, activate model versions, and read
    # what the shop did with the predictions (the feedback events that become items for the crowd).
    project_manager_permissions = [
        "training.view_feedbackevent",
        "training.view_datasetsnapshot", "training.add_datasetsnapshot", "training.view_trainingrun",
        "training.add_trainingrun", "training.view_modelversion", "training.change_modelversion",
        "training.view_trainingpolicy", "training.add_trainingpolicy", "training.change_trainingpolicy",
    ]

    def ready(self):
        from tasks.signals import project_deleting, project_items_deleting

        from . import receivers

        project_deleting.connect(receivers.project_deleting, dispatch_uid="training_project_deleting")
        project_items_deleting.connect(receivers.project_items_deleting, dispatch_uid="training_items_deleting")
