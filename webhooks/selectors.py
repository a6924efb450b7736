"""Reads of the webhooks app."""

from tasks.models import Project

from .models import EventType, WebhookEndpoint


def project_listened_to(*, project_id: int, event_types: list[str]) -> bool:
    """Whether the project's organisation has an active endpoint that wants any of these events: when none
    does, nothing is queued (an evaluation accepting ten thousand items would otherwise queue ten thousand
    publish tasks that each find no endpoint). One indexed query, no cache, so an endpoint registered a
    moment ago hears the next event."""
    wanted = (WebhookEndpoint.objects.filter(
        organisation_id__in=Project.objects.filter(pk=project_id).values("organisation_id"), is_active=True)
        .values_list("events", flat=True))
    return any(not events or set(events) & set(event_types) for events in wanted)


# What each lower app's signal can become (webhooks/events.py builds them).
SIGNAL_EVENTS = {
    "item_accepted": [EventType.ITEM_ACCEPTED, EventType.PROJECT_COMPLETED],
    "training_run_finished": [EventType.RUN_SUCCEEDED, EventType.RUN_FAILED],
    "model_version_changed": [EventType.VERSION_PROMOTED, EventType.VERSION_ROLLED_BACK],
    "feedback_items_created": [EventType.FEEDBACK_ITEM_CREATED],
}
