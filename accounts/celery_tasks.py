import logging

from celery import shared_task

from . import selectors

logger = logging.getLogger(__name__)


@shared_task(name="accounts.verification_queue_report")
def verification_queue_report():
    """Periodic: log how many annotators wait for verification, so a growing queue is visible (nothing when
    none waits)."""
    counts = selectors.verification_queue_counts()
    if counts["pending"]:
        logger.info("verification queue: %s pending, %s verified, %s rejected, %s suspended",
                    counts["pending"], counts["verified"], counts["rejected"], counts["suspended"])
    return counts
