"""New items from the live system's feedback (training decides which; this app writes the items): deduplicated
by content against every item of the project, marked with their source, and first in line for the crowd."""

from django.db import transaction

from .importing.rows import data_content_hash
from .models import Item, ItemSource, Project

FEEDBACK_PRIORITY = 10


@transaction.atomic
def items_create_from_feedback(*, project: Project, records: list[dict]) -> list[int]:
    """`records`: item data. Data already in the project (by content hash), or twice in the batch, is
    skipped; a new item's external id is made from its content. Returns the new items' ids. The project row
    is locked, so two runs of this never both add the same content."""
    Project.objects.select_for_update().filter(pk=project.pk).first()
    hashed = {}
    for data in records:
        hashed.setdefault(data_content_hash(data), data)
    known = set(Item.objects.filter(project=project, content_hash__in=list(hashed)).values_list("content_hash", flat=True))
    new = [Item(project=project, external_id=f"feedback-{content_hash[:24]}", data=data, content_hash=content_hash,
                open_slots=project.overlap, source=ItemSource.FEEDBACK, priority=FEEDBACK_PRIORITY)
           for content_hash, data in hashed.items() if content_hash not in known]
    Item.objects.bulk_create(new, ignore_conflicts=True)
    return list(Item.objects.filter(project=project, content_hash__in=[i.content_hash for i in new],
                                    source=ItemSource.FEEDBACK).values_list("pk", flat=True))
