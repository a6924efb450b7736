"""New items from the live system's feedback (training decides which; this app writes the items): deduplicated
by content against every item of the project, marked with their source, and first in line for the crowd."""

from django.db import transaction

from .importing.rows import data_content_hash
from .models import Item, ItemSource, Project

FEEDBACK_PRIORITY = 10


@transaction.atomic
def items_create_from_feedback(*, project: Project, records: list[tuple[str, dict]]) -> list[int]:
    """`records`: (external id, item data). Data already in the project (by content hash), or twice in the
    batch, is skipped. Returns the new items' ids. The project row is locked, so two runs of this never
    both add the same content."""
    Project.objects.select_for_update().filter(pk=project.pk).first()
    hashed = {}
    for external_id, data in records:
        hashed.setdefault(data_content_hash(data), (external_id, data))
    known = set(Item.objects.filter(project=project, content_hash__in=list(hashed)).values_list("content_hash", flat=True))
    new = [Item(project=project, external_id=external_id[:255], data=data, content_hash=content_hash,
                open_slots=project.overlap, source=ItemSource.FEEDBACK, priority=FEEDBACK_PRIORITY)
           for content_hash, (external_id, data) in hashed.items() if content_hash not in known]
    Item.objects.bulk_create(new, ignore_conflicts=True)
    return list(Item.objects.filter(project=project, content_hash__in=[i.content_hash for i in new],
                                    source=ItemSource.FEEDBACK).values_list("pk", flat=True))
