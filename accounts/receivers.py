"""Receivers only call a service: no logic lives here."""

from . import services


def sync_staff_groups(sender, **kwargs):
    services.staff_groups_sync()


def create_cache_table(sender, **kwargs):
    """The database cache's table (settings.CACHES when no Redis is configured) is made by `migrate`, whichever
    cache is configured now: a deploy that drops Redis later finds it there."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("createcachetable", settings.DATABASE_CACHE_TABLE, database=kwargs.get("using", "default"),
                 verbosity=0)


def membership_saved(sender, instance, created, **kwargs):
    """A membership an admin made (the organisation admin's inline, the service): the automatic one ends."""
    if created:
        services.memberships_automatic_end(membership=instance)
