"""Receivers only enqueue work: the lower apps send their signals on commit, and the event is built and sent
by Celery (webhooks.publish), never inside the request or evaluation that caused it. Nothing is queued for an
organisation with no active endpoint that wants what the signal can become (selectors.project_listened_to)."""

from . import selectors


def _publish(kind: str, *, project_id: int | None, ref: dict) -> None:
    if project_id is None or not selectors.project_listened_to(project_id=project_id,
                                                               event_types=selectors.SIGNAL_EVENTS[kind]):
        return
    from .celery_tasks import publish

    publish.apply_async(args=[kind, ref])


def item_accepted(sender, *, item_id, project_id, **kwargs):
    _publish("item_accepted", project_id=project_id, ref={"item_id": item_id})


def training_run_finished(sender, *, run_id, project_id, **kwargs):
    _publish("training_run_finished", project_id=project_id, ref={"run_id": run_id})


def model_version_changed(sender, *, version_id, project_id, previous_id, rolled_back, reason, change_id, **kwargs):
    _publish("model_version_changed", project_id=project_id,
             ref={"version_id": version_id, "previous_id": previous_id, "rolled_back": rolled_back,
                  "reason": reason, "change_id": change_id})


def feedback_items_created(sender, *, project_id, item_ids, **kwargs):
    _publish("feedback_items_created", project_id=project_id,
             ref={"project_id": project_id, "item_ids": list(item_ids)})
