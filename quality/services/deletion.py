"""Quality's part in deleting a project (tasks/deletion.py): its rows go by SQL statements, never loaded."""

from core import rawsql

from ..models import EarningsEntry, ItemDecision, Review, Suggestion, VerificationSample

EARNINGS = EarningsEntry._meta.db_table
DECISIONS = ItemDecision._meta.db_table
SUGGESTIONS = Suggestion._meta.db_table
REVIEWS = Review._meta.db_table
SAMPLE_ITEMS = VerificationSample.items.through._meta.db_table


def quality_rows_of_project_delete(*, project_id: int, batch_size: int) -> int:
    """The project's earnings ledger (one entry per paid answer: as many rows as answers), in committed
    batches; what is left (scores per worker, samples, calibration) is small and goes with the project."""
    return rawsql.delete_in_batches(
        f"DELETE FROM {EARNINGS} WHERE id IN (SELECT id FROM {EARNINGS} WHERE project_id = %s LIMIT %s)",
        [project_id, batch_size], batch_size=batch_size)


def quality_rows_of_items_delete(*, item_ids: list[int]) -> int:
    """Decisions, suggestions, reviews and sample memberships of these items; returns how many rows."""
    removed = 0
    for table in (DECISIONS, SUGGESTIONS, REVIEWS, SAMPLE_ITEMS):
        where, params = rawsql.among("item_id", item_ids)
        removed += rawsql.rowcount(f"DELETE FROM {table} WHERE {where}", params)
    return removed
