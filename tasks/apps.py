from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Projects and items"
    periodic_tasks = {
        "tasks: expire assignment leases": ("tasks.expire_leases", 60),
        "tasks: vacuum the item and assignment tables": ("tasks.vacuum_hot_tables", 10),
    }
    reviewer_permissions = ["tasks.view_project", "tasks.view_item"]
    # Project managers create, edit, publish and import (import is a change of the project).
    project_manager_permissions = ["tasks.add_project", "tasks.change_project", "tasks.add_item", "tasks.change_item",
                                   "tasks.view_assignment", "tasks.view_practiceitem", "tasks.add_practiceitem",
                                   "tasks.change_practiceitem"]
    # accounts asks this before it limits an API token to a project (accounts.selectors.project_reachable).
    project_reachable = "tasks.selectors.project_reachable"

    def ready(self):
        from django.db.models.signals import m2m_changed

        from accounts.models import User
        from accounts.signals import qualification_revoked, worker_suspended

        from . import receivers

        worker_suspended.connect(receivers.worker_suspended, dispatch_uid="tasks_worker_suspended")
        qualification_revoked.connect(receivers.qualification_revoked, dispatch_uid="tasks_qualification_revoked")
        # Leaving a pool's group is Django's own membership table (auth): its change signal, not one of accounts'.
        m2m_changed.connect(receivers.group_membership_changed, sender=User.groups.through,
                            dispatch_uid="tasks_group_membership_changed")
