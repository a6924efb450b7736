from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Quality: decisions and review"
    periodic_tasks = {"quality: recompute worker weights, flags and earnings": ("quality.recompute_weights", 3600)}
    reviewer_permissions = [
        "quality.view_reviewqueueitem", "quality.change_reviewqueueitem", "quality.view_verificationsample",
        "quality.view_review", "quality.view_workerquality", "quality.view_projectquality",
    ]

    def ready(self):
        from accounts.signals import worker_unsuspended
        from annotations.signals import annotation_submitted

        from . import receivers

        annotation_submitted.connect(receivers.annotation_submitted, dispatch_uid="quality_annotation_submitted")
        worker_unsuspended.connect(receivers.worker_unsuspended, dispatch_uid="quality_worker_unsuspended")
