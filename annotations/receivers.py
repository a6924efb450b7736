"""Receivers only call a service: no logic lives here."""

from . import services


def project_items_deleting(sender, *, item_ids, **kwargs):
    services.annotations_of_items_delete(item_ids=item_ids)
