"""What training tells the higher apps (webhooks), without importing them (ARCHITECTURE.md). Each is sent on
commit, so a receiver never hears of something that was rolled back."""

from django.db import transaction
from django.dispatch import Signal

# run_id, project_id, status ("succeeded" or "failed")
training_run_finished = Signal()
# version_id, project_id, previous_id (or None), rolled_back (bool), reason (words), change_id (unique per change)
model_version_changed = Signal()
# project_id, item_ids: feedback that became new items for the crowd
feedback_items_created = Signal()


def send_on_commit(signal: Signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender="training", **kwargs))
