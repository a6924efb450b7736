"""Receivers only call a service: no logic lives here."""

from . import services


def sync_reviewer_group(sender, **kwargs):
    services.reviewer_group_sync()
