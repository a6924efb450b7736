"""What each event says: its organisation, a key that names it (the same event always gets the same
webhook-id) and its data, read from the app it happened in. Reads only: nothing here writes."""

from dataclasses import dataclass

from quality.models import ItemDecision
from tasks import selectors as task_selectors
from tasks.models import Item, Project
from training.models import ModelVersion, TrainingRun

from .models import EventType


@dataclass(frozen=True)
class Event:
    organisation_id: int
    event_type: str
    key: str  # unique per event of this type: the delivery's webhook-id is made from it
    data: dict


def item_accepted(*, item_id: int) -> list[Event]:
    """The item's event, and the project's "completed" once its last real item is accepted."""
    item = Item.objects.select_related("project").filter(pk=item_id).first()
    if item is None:
        return []
    decision = ItemDecision.objects.filter(item_id=item_id).values("label", "confidence", "source").first() or {}
    project = item.project
    events = [Event(project.organisation_id, EventType.ITEM_ACCEPTED, str(item.pk), {
        "project": project.pk, "item": item.pk, "external_id": item.external_id, **decision})]
    if task_selectors.project_is_complete(project):
        events.append(Event(project.organisation_id, EventType.PROJECT_COMPLETED, str(project.pk),
                            {"project": project.pk, "title": project.title,
                             **task_selectors.project_statistics(project)}))
    return events


def training_run_finished(*, run_id: int) -> list[Event]:
    run = TrainingRun.objects.select_related("project").filter(pk=run_id).first()
    if run is None or run.status not in ("succeeded", "failed"):
        return []
    version = ModelVersion.objects.filter(run=run).values_list("version", flat=True).first()
    kind = EventType.RUN_SUCCEEDED if run.status == "succeeded" else EventType.RUN_FAILED
    return [Event(run.project.organisation_id, kind, str(run.pk), {
        "project": run.project_id, "run": run.pk, "status": run.status, "model_version": version,
        "metrics": run.metrics if run.status == "succeeded" else {}})]


def model_version_changed(*, version_id: int, previous_id: int | None, rolled_back: bool, reason: str,
                          change_id: str) -> list[Event]:
    version = ModelVersion.objects.select_related("project").filter(pk=version_id).first()
    if version is None:
        return []
    previous = ModelVersion.objects.filter(pk=previous_id).values_list("version", flat=True).first()
    kind = EventType.VERSION_ROLLED_BACK if rolled_back else EventType.VERSION_PROMOTED
    return [Event(version.project.organisation_id, kind, change_id, {
        "project": version.project_id, "model_version": version.version, "previous_version": previous,
        "reason": reason})]


def feedback_items_created(*, project_id: int, item_ids: list[int]) -> list[Event]:
    project = Project.objects.filter(pk=project_id).first()
    if project is None or not item_ids:
        return []
    items = list(Item.objects.filter(pk__in=item_ids).values("id", "external_id", "source"))
    key = f"{project_id}:{min(item_ids)}-{max(item_ids)}:{len(item_ids)}"
    return [Event(project.organisation_id, EventType.FEEDBACK_ITEM_CREATED, key,
                  {"project": project_id, "items": items})]


BUILDERS = {
    "item_accepted": item_accepted,
    "training_run_finished": training_run_finished,
    "model_version_changed": model_version_changed,
    "feedback_items_created": feedback_items_created,
}
