import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.publish", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def publish(kind: str, ref: dict):
    """Turn something that happened (told by a lower app's signal) into deliveries."""
    return services.events_publish(kind=kind, **ref)


@shared_task(name="webhooks.deliver")
def deliver(delivery_id: int):
    """One attempt; on failure the next one is queued after the back-off, until WEBHOOK_MAX_ATTEMPTS. The
    count lives on the delivery row, not in Celery's retry count, so a lost task taken up again by the
    periodic job keeps it."""
    try:
        delivery = services.delivery_attempt(delivery_id=delivery_id)
    except services.DeliveryFailed as failed:
        if failed.final:
            logger.warning("webhook delivery %s failed for good: %s", delivery_id, failed)
            return {"delivery": delivery_id, "state": "failed"}
        attempts = services.attempts_made(delivery_id=delivery_id)
        deliver.apply_async(args=[delivery_id], countdown=services.backoff_seconds(attempts))
        return {"delivery": delivery_id, "state": "pending", "attempts": attempts}
    if delivery is None:  # its endpoint was deleted
        return {"delivery": delivery_id, "state": "gone"}
    return {"delivery": delivery.pk, "state": delivery.state}


@shared_task(name="webhooks.retry_stale")
def retry_stale():
    queued = services.deliveries_retry_stale()
    if queued:
        logger.info("%s pending webhook deliveries queued again", queued)
    return queued
