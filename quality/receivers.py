"""Receivers only enqueue work: no logic lives here."""

from . import services


def annotation_submitted(sender, *, project_id, **kwargs):
    services.project_evaluation_schedule(project_id=project_id)


def worker_unsuspended(sender, *, worker_id, by=None, **kwargs):
    from .services import integrity

    integrity.worker_fresh_start(worker_id=worker_id, by=by)


def project_deleting(sender, *, project_id, batch_size, **kwargs):
    from .services import deletion

    deletion.quality_rows_of_project_delete(project_id=project_id, batch_size=batch_size)


def project_items_deleting(sender, *, item_ids, **kwargs):
    from .services import deletion

    deletion.quality_rows_of_items_delete(item_ids=item_ids)
