"""Deleting a project of any size, in batches, never loading its rows.

Django's delete collects the whole cascade in memory before it deletes anything (a project of 1.5M items took
about 1 GB), and its admin lists every row on the confirmation page. Here each app deletes its own tables with
SQL statements (ARCHITECTURE.md, "Who writes which table"): `project_deleting` asks the higher apps to delete
their project-wide rows (earnings, predictions, feedback), then the items go a batch at a time, each batch one
transaction in which `project_items_deleting` asks them to delete what refers to those items (answers,
decisions, reviews) before tasks deletes the batch's assignments and items. Last, the project row itself goes
through Django, whose cascade then finds only the few rows left (snapshots, runs, settings).

An interrupted deletion leaves whole items gone and the rest untouched, so deleting again finishes it; a
project waiting to be deleted is closed first, so nobody is handed its work meanwhile.
"""

import logging

from django.db import transaction

from core import rawsql

from .models import Assignment, ImportJob, Item, PracticeAnswer, PracticeItem, Project, ProjectStatus
from .signals import project_deleting, project_items_deleting

logger = logging.getLogger(__name__)
ITEM_BATCH = 2_000
ROW_BATCH = 10_000
ITEMS, ASSIGNMENTS = Item._meta.db_table, Assignment._meta.db_table
PRACTICE_ANSWERS = PracticeAnswer._meta.db_table


def project_delete_start(*, project_id: int) -> None:
    """Close the project (its work is handed out no more) and delete it in the background once this
    transaction commits: the admin's delete, which a large project would hold for minutes."""
    Project.objects.filter(pk=project_id).update(status=ProjectStatus.CLOSED)
    from .celery_tasks import project_delete as task  # imported here: the Celery tasks module imports this one

    transaction.on_commit(lambda: task.delay(project_id))


def project_delete(*, project_id: int, item_batch: int = ITEM_BATCH, row_batch: int = ROW_BATCH) -> int:
    """Delete the project and everything that belongs to it; returns how many items went. Runs outside a
    transaction (a Celery task): each batch commits on its own."""
    if not Project.objects.filter(pk=project_id).exists():
        return 0
    project_deleting.send(sender=Project, project_id=project_id, batch_size=row_batch)
    rawsql.delete_in_batches(
        f"DELETE FROM {PRACTICE_ANSWERS} WHERE id IN (SELECT id FROM {PRACTICE_ANSWERS} WHERE project_id = %s "
        "LIMIT %s)", [project_id, row_batch], batch_size=row_batch)
    items = 0
    while item_ids := _items_delete(project_id, item_batch):
        items += len(item_ids)
    Project.objects.filter(pk=project_id).delete()
    logger.info("project %s deleted with %s items", project_id, items)
    return items


@transaction.atomic
def _items_delete(project_id: int, batch: int) -> list[int]:
    """One batch of the project's items, with everything that refers to them; the batch's ids."""
    item_ids = [pk for (pk,) in rawsql.rows(
        f"SELECT id FROM {ITEMS} WHERE project_id = %s ORDER BY id LIMIT %s", [project_id, batch])]
    if not item_ids:
        return []
    project_items_deleting.send(sender=Project, project_id=project_id, item_ids=item_ids)
    for table, column in ((ASSIGNMENTS, "item_id"), (ITEMS, "id")):
        where, params = rawsql.among(column, item_ids)
        rawsql.rowcount(f"DELETE FROM {table} WHERE {where}", params)
    return item_ids


def project_deletion_summary(project: Project) -> dict[str, int]:
    """What deleting the project takes with it, counted (the admin's confirmation page shows this instead
    of listing every row)."""
    return {
        "items": Item.objects.filter(project=project).count(),
        "assignments": Assignment.objects.filter(project=project).count(),
        "practice items": PracticeItem.objects.filter(project=project).count(),
        "import jobs": ImportJob.objects.filter(project=project).count(),
    }
