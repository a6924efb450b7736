"""Vacuuming the assignment hot path's tables.

Every claim and every answer writes a new version of an item row and of an assignment row. Until VACUUM
removes the old versions, their entries stay in the claimable and holding indexes, and every claim walks
past them: on the benchmark's project a claim read 14 pages on a vacuumed table and 63 after 18,000
updates, and the "next" requests slowed down by a third within a minute. Autovacuum waits until a fifth
of a table is dead and looks at each table once a minute, so this periodic job looks more often and
vacuums a table once `ASSIGNMENT_VACUUM_DEAD_ROWS` of its rows are dead (a vacuum of the benchmark's
100,000 items takes about 0.2 s).
"""

from django.conf import settings
from django.db import connection

from .models import Assignment, Item

HOT_TABLES = [Item._meta.db_table, Assignment._meta.db_table]


def hot_tables_vacuum(*, dead_rows: int | None = None) -> list[str]:
    """VACUUM each hot table with at least `dead_rows` dead rows by PostgreSQL's own count (default: the
    setting); the tables it was sent for. Nothing on SQLite, which has no such index entries to clean.

    The threshold is a count, not a share of the table: what a claim walks past is the number of dead
    entries, whatever the table's size. A long transaction that keeps dead rows from being removed keeps
    their count up, and the job then vacuums every run until that transaction ends."""
    if connection.vendor != "postgresql":
        return []
    threshold = settings.ASSIGNMENT_VACUUM_DEAD_ROWS if dead_rows is None else dead_rows
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relid = ANY(%s::regclass[]) AND n_dead_tup >= %s "
            "ORDER BY relname",
            [HOT_TABLES, threshold],
        )
        due = [name for (name,) in cursor.fetchall()]
        # VACUUM runs outside a transaction (Django's autocommit, as in a Celery task). SKIP_LOCKED: a
        # table that another vacuum (autovacuum, or this job run twice by a backed-up queue) holds is
        # left to it rather than waited for.
        for name in due:
            cursor.execute(f"VACUUM (SKIP_LOCKED) {connection.ops.quote_name(name)}")
    return due
