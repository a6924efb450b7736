from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Projects and items"

    def ready(self):
        from accounts.signals import worker_suspended

        from . import receivers

        worker_suspended.connect(receivers.worker_suspended, dispatch_uid="tasks_worker_suspended")
