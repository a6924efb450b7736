import os

from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Quality: decisions and review"
    periodic_tasks = {
        "quality: recompute worker weights, flags and earnings": ("quality.recompute_weights", 3600),
        # A lost evaluation (a worker killed mid-task, retries run out during a database outage) costs this long.
        "quality: re-evaluate fully answered undecided items": (
            "quality.reevaluate_undecided", int(os.environ.get("QUALITY_REEVALUATE_SECONDS", "60"))),
    }
    reviewer_permissions = [
        "quality.view_reviewqueueitem", "quality.change_reviewqueueitem", "quality.view_verificationsample",
        "quality.view_review", "quality.view_workerquality", "quality.view_projectquality",
    ]
    project_manager_permissions = ["quality.add_verificationsample", "quality.view_itemdecision"]

    def ready(self):
        from accounts.signals import worker_unsuspended
        from annotations.signals import annotation_submitted
        from tasks.signals import project_deleting, project_items_deleting

        from . import receivers

        annotation_submitted.connect(receivers.annotation_submitted, dispatch_uid="quality_annotation_submitted")
        worker_unsuspended.connect(receivers.worker_unsuspended, dispatch_uid="quality_worker_unsuspended")
        project_deleting.connect(receivers.project_deleting, dispatch_uid="quality_project_deleting")
        project_items_deleting.connect(receivers.project_items_deleting, dispatch_uid="quality_items_deleting")
