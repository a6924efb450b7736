from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Projects and items"
    periodic_tasks = {
        "tasks: expire assignment leases": ("tasks.expire_leases", 60),
        "tasks: vacuum the item and assignment tables": ("tasks.vacuum_hot_tables", 10),
    }
    reviewer_permissions = ["tasks.view_project", "tasks.view_item"]

    def ready(self):
        from accounts.signals import worker_suspended

        from . import receivers

        worker_suspended.connect(receivers.worker_suspended, dispatch_uid="tasks_worker_suspended")
