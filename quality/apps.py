from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Quality: decisions and review"

    def ready(self):
        from annotations.signals import annotation_submitted

        from . import receivers

        annotation_submitted.connect(receivers.annotation_submitted, dispatch_uid="quality_annotation_submitted")
