"""What accounts tells the higher apps about a worker, without importing them (ARCHITECTURE.md).

Sent inside the suspending (or lifting) transaction, so what the receivers change commits or rolls back
with it: a suspended worker never keeps a live assignment, a lifted one never keeps open flags."""

from django.dispatch import Signal

# kwargs: worker_id
worker_suspended = Signal()
# kwargs: worker_id, by (the user who lifted it, or None)
worker_unsuspended = Signal()
