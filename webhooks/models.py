"""An organisation's webhook endpoints, and each delivery to them with every attempt's response."""

import base64
import secrets

from django.db import models

from accounts.models import Organisation


class EventType(models.TextChoices):
    ITEM_ACCEPTED = "item.accepted", "An item was accepted"
    PROJECT_COMPLETED = "project.completed", "A project has every item accepted"
    RUN_SUCCEEDED = "training_run.succeeded", "A training run finished"
    RUN_FAILED = "training_run.failed", "A training run failed"
    VERSION_PROMOTED = "model_version.promoted", "A model version was promoted (now serves predictions)"
    VERSION_ROLLED_BACK = "model_version.rolled_back", "The active model was rolled back to an earlier version"
    FEEDBACK_ITEM_CREATED = "feedback_item.created", "Feedback became new items for the crowd"
    TEST = "webhook.test", "A test event (sent from the admin)"


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64 (what the receiver's library reads)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpoint(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=new_secret,
                              help_text="Signs every delivery (Standard Webhooks); the receiver verifies with it.")
    events = models.JSONField(default=list, blank=True,
                              help_text="Event types to send, e.g. [\"model_version.promoted\"]; empty: every event.")
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "pk"]

    def __str__(self):
        return f"{self.organisation}: {self.url}"

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events or event_type == EventType.TEST)


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending (retrying)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint. `message_id` is the webhook-id header: the same on every retry, and made
    from the event (not random), so the same event is never queued twice for an endpoint (the constraint)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhooks_delivery_once_per_endpoint"),
        ]
        indexes = [models.Index(fields=["state", "last_attempt_at"], name="webhooks_delivery_pending")]

    def __str__(self):
        return f"{self.event_type} to {self.endpoint.url} ({self.state})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what came back (or why nothing did)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhooks_attempt_number_once")]
