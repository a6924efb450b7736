"""What quality tells the higher apps (webhooks), without importing them (ARCHITECTURE.md)."""

from django.db import transaction
from django.dispatch import Signal

# Sent on commit with item_id, project_id: the item has its label (inferred, or a reviewer's).
item_accepted = Signal()


def item_accepted_send_on_commit(*, item_id: int, project_id: int) -> None:
    transaction.on_commit(lambda: item_accepted.send(sender="quality", item_id=item_id, project_id=project_id))
