"""Receivers only enqueue work: no logic lives here."""

from . import services


def annotation_submitted(sender, *, project_id, **kwargs):
    services.project_evaluation_schedule(project_id=project_id)
