"""Receivers only enqueue work: no logic lives here."""

from . import services


def annotation_submitted(sender, *, project_id, **kwargs):
    services.project_evaluation_schedule(project_id=project_id)


def worker_unsuspended(sender, *, worker_id, by=None, **kwargs):
    from .services import integrity

    integrity.worker_fresh_start(worker_id=worker_id, by=by)
