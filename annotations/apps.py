from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations"

    def ready(self):
        from tasks.signals import project_items_deleting

        from . import receivers

        project_items_deleting.connect(receivers.project_items_deleting, dispatch_uid="annotations_items_deleting")
