"""Told to higher stages (quality) when an annotation is in: they re-evaluate the item."""

from django.dispatch import Signal

# Sent on commit with annotation_id, item_id, project_id.
annotation_submitted = Signal()
