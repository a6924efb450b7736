from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """The top app: it listens to what every lower app signals (an item accepted, a run finished, a model
    promoted) and tells the organisation's endpoints. No lower app imports it (ARCHITECTURE.md)."""

    name = "webhooks"
    verbose_name = "Webhooks: events to integrators"
    periodic_tasks = {
        # A delivery whose Celery task was lost (broker restart between retries) is taken up again.
        "webhooks: retry deliveries left pending": ("webhooks.retry_stale", 300),
    }

    def ready(self):
        from quality.signals import item_accepted
        from training.signals import feedback_items_created, model_version_changed, training_run_finished

        from . import receivers

        item_accepted.connect(receivers.item_accepted, dispatch_uid="webhooks_item_accepted")
        training_run_finished.connect(receivers.training_run_finished, dispatch_uid="webhooks_run_finished")
        model_version_changed.connect(receivers.model_version_changed, dispatch_uid="webhooks_version_changed")
        feedback_items_created.connect(receivers.feedback_items_created, dispatch_uid="webhooks_feedback_items")
