"""The submission's one statement: the assignment marked submitted, the answer counted on its item and the
answer row INSERTed at once (a benchmark shows the round trips matter). It writes tables of two apps, so it
lives in the higher one (ARCHITECTURE.md, "Who writes which table") and builds on the SQL pieces tasks
exports for it (`tasks.assignment_sql`): the rules of what "still live" means stay in tasks."""

from django.db import transaction

from core import rawsql as db
from tasks import assignment_sql as tasks_sql
from tasks.models import Assignment

from .models import Annotation


def answer_store(row: Annotation, *, assignment: Assignment, now) -> bool:
    """Atomically: mark the live assignment submitted, count the answer on its item and INSERT `row`
    (the answer). Nothing is written, and False comes back, when the assignment is no longer live.
    On PostgreSQL this is one statement, with no transaction round trips."""
    done, done_params = tasks_sql.submitted_if_live(assignment=assignment, now=now)
    if db.postgresql():
        names, marks, values = db.insert_parts(row)
        found = db.rows(
            f"WITH done AS ({done}), counted AS ({tasks_sql.count_answer_on('(SELECT item_id FROM done)')}) "
            f"INSERT INTO {Annotation._meta.db_table} ({names}) SELECT {marks} FROM done "
            f"RETURNING {db.quote_name(Annotation._meta.pk.column)}",
            [*done_params, *values],
        )
        if not found:
            return False
        db.stored(row, found[0][0])
    else:
        with transaction.atomic():
            if not db.rows(done, done_params):
                return False
            db.insert(row, along_with=[tasks_sql.count_answer(item_id=assignment.item_id)])
    tasks_sql.submitted_marked(assignment, now=now)
    return True
