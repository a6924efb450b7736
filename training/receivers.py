"""Receivers only call a service: no logic lives here."""

from . import deletion


def project_deleting(sender, *, project_id, batch_size, **kwargs):
    deletion.training_rows_of_project_delete(project_id=project_id, batch_size=batch_size)


def project_items_deleting(sender, *, item_ids, **kwargs):
    deletion.predictions_of_items_delete(item_ids=item_ids)
