from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and workers"
    periodic_tasks = {"accounts: verification queue report": ("accounts.verification_queue_report", 60)}
    reviewer_permissions = [
        "accounts.view_workerprofile", "accounts.change_workerprofile",
        "accounts.view_verificationdecision", "accounts.view_skill",
    ]

    def ready(self):
        from . import receivers

        # Not tied to one sender: later apps' permissions exist only after their own migrate pass.
        post_migrate.connect(receivers.sync_staff_groups, dispatch_uid="accounts_sync_staff_groups")
        post_migrate.connect(receivers.create_cache_table, sender=self, dispatch_uid="accounts_create_cache_table")
        post_save.connect(receivers.membership_saved, sender="accounts.Membership",
                          dispatch_uid="accounts_membership_saved")
