"""Webhooks out: an event becomes one delivery per endpoint that wants it (queued on commit, sent by Celery,
never inside a request); each attempt is logged with its response; a failed one is retried with back-off."""

import hashlib
import json
import time
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import events, signing
from .models import DeliveryState, EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint

RESPONSE_KEPT = 2000  # characters of a response body kept in the log


class DeliveryFailed(Exception):
    """This attempt failed; `final` when no attempt is left."""

    def __init__(self, message: str, *, final: bool):
        super().__init__(message)
        self.final = final


def message_id_for(event_type: str, key: str) -> str:
    return "msg_" + hashlib.sha256(f"{event_type}:{key}".encode()).hexdigest()[:32]


@transaction.atomic
def event_publish(*, event: events.Event) -> list[int]:
    """A pending delivery for each of the organisation's endpoints that wants the event, sent on commit.
    The same event published twice is queued once per endpoint (the unique webhook-id)."""
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(organisation_id=event.organisation_id,
                                                                         is_active=True)
                 if endpoint.wants(event.event_type)]
    message_id = message_id_for(event.event_type, event.key)
    payload = {"type": event.event_type, "timestamp": timezone.now().isoformat(), "data": event.data}
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=endpoint, message_id=message_id, event_type=event.event_type, payload=payload)
         for endpoint in endpoints], ignore_conflicts=True)
    created = list(WebhookDelivery.objects.filter(endpoint__in=endpoints, message_id=message_id,
                                                  state=DeliveryState.PENDING, attempts=0).values_list("pk", flat=True))
    transaction.on_commit(lambda: _enqueue(created))
    return created


def events_publish(*, kind: str, **ref) -> int:
    """Build the events of one thing that happened (`kind`: a key of events.BUILDERS) and publish each."""
    return sum(len(event_publish(event=event)) for event in events.BUILDERS[kind](**ref))


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> int:
    """A webhook.test event to this endpoint only (the admin's "send test event")."""
    event = events.Event(endpoint.organisation_id, EventType.TEST, uuid.uuid4().hex,
                         {"endpoint": endpoint.pk, "message": "CrowdLabel test event"})
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, message_id=message_id_for(event.event_type, event.key), event_type=event.event_type,
            payload={"type": event.event_type, "timestamp": timezone.now().isoformat(), "data": event.data})
        transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery.pk


# --- Endpoints (the integrator API) -------------------------------------------------------------

ENDPOINT_FIELDS = {"url", "events", "description", "is_active"}


def endpoint_create(*, organisation, url: str, events: list[str] | None = None, description: str = "",
                    is_active: bool = True) -> WebhookEndpoint:
    """A new endpoint of the organisation, with a fresh secret (the caller shows it once)."""
    return WebhookEndpoint.objects.create(organisation=organisation, url=url, events=sorted(set(events or [])),
                                          description=description, is_active=is_active)


def endpoint_update(*, endpoint: WebhookEndpoint, **fields) -> WebhookEndpoint:
    """Change what the endpoint receives and where; its organisation and secret stay."""
    unknown = set(fields) - ENDPOINT_FIELDS
    if unknown:
        raise ValueError(f"not an endpoint setting: {sorted(unknown)}")
    if "events" in fields:
        fields["events"] = sorted(set(fields["events"] or []))
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save(update_fields=[*fields])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its delivery log: a delivery still pending is dropped (its task finds no row)."""
    endpoint.delete()


def _enqueue(delivery_ids) -> None:
    from .celery_tasks import deliver

    for delivery_id in delivery_ids:
        deliver.apply_async(args=[delivery_id])


def attempts_made(*, delivery_id: int) -> int:
    return WebhookDelivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True).first() or 0


def backoff_seconds(attempts_made: int) -> int:
    """Seconds before the next attempt: 10 s, 20 s, 40 s ... up to an hour."""
    return min(3600, settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts_made - 1))


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """POST the delivery once, signed, and log what came back. A delivery no longer pending (succeeded, or a
    second copy of the task) is left alone, so a success is never sent twice; one whose endpoint was deleted
    meanwhile is gone (None). Raises DeliveryFailed."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return delivery
    number = delivery.attempts + 1
    status_code, body, error, millis = _post(delivery)
    succeeded = status_code is not None and 200 <= status_code < 300
    final = not succeeded and number >= settings.WEBHOOK_MAX_ATTEMPTS
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery=delivery, number=number, status_code=status_code,
                                      response_body=body, error=error, duration_ms=millis)
        state = DeliveryState.SUCCEEDED if succeeded else (DeliveryState.FAILED if final else DeliveryState.PENDING)
        WebhookDelivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING).update(
            state=state, attempts=number, response_status=status_code, response_body=body or error,
            last_attempt_at=now, delivered_at=now if succeeded else None)
    delivery.refresh_from_db()
    if not succeeded:
        raise DeliveryFailed(error or f"HTTP {status_code}", final=final)
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str, float]:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = signing.signed_headers(secret=delivery.endpoint.secret, message_id=delivery.message_id,
                                     timestamp=timezone.now(), body=body)
    headers["user-agent"] = "CrowdLabel-Webhooks/1"
    started = time.perf_counter()
    try:
        response = requests.post(delivery.endpoint.url, data=body.encode(), headers=headers,
                                 timeout=settings.WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as error:
        return None, "", f"{type(error).__name__}: {error}"[:RESPONSE_KEPT], _millis(started)
    return response.status_code, response.text[:RESPONSE_KEPT], "", _millis(started)


def _millis(started: float) -> float:
    return round(1000 * (time.perf_counter() - started), 1)


def deliveries_retry_stale(*, now=None) -> int:
    """Pending deliveries whose retry never came (its task was lost) are queued again (periodic)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.WEBHOOK_STALE_SECONDS)
    ids = list(WebhookDelivery.objects.filter(state=DeliveryState.PENDING, created_at__lt=stale)
               .exclude(last_attempt_at__gte=stale).values_list("pk", flat=True)[:1000])
    _enqueue(ids)
    return len(ids)
