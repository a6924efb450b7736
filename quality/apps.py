from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Quality: decisions and review"

    def ready(self):
        from accounts.signals import worker_unsuspended
        from annotations.signals import annotation_submitted

        from . import receivers

        annotation_submitted.connect(receivers.annotation_submitted, dispatch_uid="quality_annotation_submitted")
        worker_unsuspended.connect(receivers.worker_unsuspended, dispatch_uid="quality_worker_unsuspended")
