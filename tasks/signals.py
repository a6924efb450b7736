"""Told to higher stages (annotations, quality, training) when a project is being deleted, so that each deletes
its own rows that refer to it before tasks deletes the project's items (tasks/deletion.py)."""

from django.dispatch import Signal

# Sent once, outside any transaction, with project_id and batch_size: delete your rows that belong to the
# project as a whole (earnings, feedback, predictions), in batches of batch_size, each committed.
project_deleting = Signal()
# Sent for each batch of the project's items, inside the batch's transaction, with project_id and item_ids:
# delete your rows that refer to those items.
project_items_deleting = Signal()
