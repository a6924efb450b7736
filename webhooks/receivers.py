"""Receivers only enqueue work: the lower apps send their signals on commit, and the event is built and sent
by Celery (webhooks.publish), never inside the request or evaluation that caused it."""


def _publish(kind: str, **ref) -> None:
    from .celery_tasks import publish

    publish.apply_async(args=[kind, ref])


def item_accepted(sender, *, item_id, **kwargs):
    _publish("item_accepted", item_id=item_id)


def training_run_finished(sender, *, run_id, **kwargs):
    _publish("training_run_finished", run_id=run_id)


def model_version_changed(sender, *, version_id, previous_id, rolled_back, reason, change_id, **kwargs):
    _publish("model_version_changed", version_id=version_id, previous_id=previous_id, rolled_back=rolled_back,
             reason=reason, change_id=change_id)


def feedback_items_created(sender, *, project_id, item_ids, **kwargs):
    _publish("feedback_items_created", project_id=project_id, item_ids=list(item_ids))
