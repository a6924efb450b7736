"""The hot path's plain-SQL helpers: literals, id lists, prepared statements on PostgreSQL, and many rows in one
INSERT."""

from datetime import UTC, datetime

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import rawsql
from tasks.models import Item
from training.models import FeedbackEvent
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _prepared_here(sql) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [rawsql._name(sql)])
        return cursor.fetchone()[0] == 1


def test_literals_quote_text_and_spell_flags():
    assert rawsql.literal("it's") == "'it''s'"
    assert rawsql.literal(True) == "TRUE" and rawsql.literal(False) == "FALSE"
    assert rawsql.literal(3) == "3"
    assert rawsql.literals(["open", "collecting"]) == "'open', 'collecting'"


@pytest.mark.parametrize("count", [0, 1, 3])
def test_among_selects_exactly_the_ids_given(count):
    items = ItemFactory.create_batch(4, project=ProjectFactory())
    wanted = [item.pk for item in items[:count]]
    condition, params = rawsql.among("id", wanted)
    found = rawsql.rows(f"SELECT id FROM {Item._meta.db_table} WHERE {condition} ORDER BY id", params)
    assert [pk for (pk,) in found] == sorted(wanted)


@pytest.mark.postgres
def test_a_statement_is_prepared_once_and_each_run_is_one_query():
    item = ItemFactory()
    sql = f"SELECT id FROM {Item._meta.db_table} WHERE id = %s AND state = {rawsql.literal(item.state)}"
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert rawsql.rows(sql, [item.pk]) == [(item.pk,)]
        assert len(queries) == 1 and queries[0]["sql"].startswith("EXECUTE ")
    assert _prepared_here(sql)


@pytest.mark.postgres
def test_a_prepared_statement_is_never_planned_afresh():
    """Every run uses the statement's one generic plan. PostgreSQL's default plans the first five runs,
    and again after each vacuum of a table the statement reads, for every connection: a burst of CPU."""
    item = ItemFactory()
    sql = f"SELECT id, open_slots FROM {Item._meta.db_table} WHERE id = %s"  # prepared by no other test
    for _ in range(7):
        assert rawsql.rows(sql, [item.pk]) == [(item.pk, item.open_slots)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
                       [rawsql._name(sql)])
        assert cursor.fetchone() == (7, 0)


@pytest.mark.postgres
def test_a_failed_execution_leaves_the_statement_usable():
    item = ItemFactory()
    sql = f"UPDATE {Item._meta.db_table} SET external_id = %s WHERE id = %s"
    other = ItemFactory(project=item.project)
    with pytest.raises(IntegrityError), transaction.atomic():
        rawsql.rowcount(sql, [other.external_id, item.pk])  # the project's external ids are unique
    assert rawsql.rowcount(sql, ["renamed", item.pk]) == 1
    item.refresh_from_db()
    assert item.external_id == "renamed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    item = ItemFactory()
    sql = f"SELECT external_id FROM {Item._meta.db_table} WHERE id = %s"
    assert rawsql.rows(sql, [item.pk]) == [(item.external_id,)]
    connection.close()
    assert rawsql.rows(sql, [item.pk]) == [(item.external_id,)]
    assert _prepared_here(sql)


@pytest.mark.postgres
def test_preparing_can_be_turned_off(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    item = ItemFactory()
    sql = f"SELECT id, external_id FROM {Item._meta.db_table} WHERE id = %s"
    with CaptureQueriesContext(connection) as queries:
        assert rawsql.rows(sql, [item.pk]) == [(item.pk, item.external_id)]
    assert queries[0]["sql"].startswith("SELECT ") and not _prepared_here(sql)


# --- insert_many ----------------------------------------------------------------------------------------

EVENT_FIELDS = ["event_id", "text", "predicted_label", "corrected_label", "confidence", "outcome", "occurred_at"]


def _insert_events(project, rows):
    now = rawsql.datetime(timezone.now())
    return rawsql.insert_many(FeedbackEvent, EVENT_FIELDS, rows, skip_conflicts_on=("project", "event_id"),
                              constants={"project": project.pk, "received_at": now, "processed": False, "actor": 1})


def test_insert_many_stores_each_value_as_given_and_counts_what_it_inserted():
    project, moment = ProjectFactory(), datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    tricky = 'a "quoted" \\ back\\slash, 📱 é \u2028 and [brackets]'
    rows = [("e1", tricky, "TV", "", 0.1234567890123, 1, rawsql.datetime(moment)),
            ("e2", "", "Phone", "TV", None, 5, rawsql.datetime(moment)),
            ("e1", "the same id again", "TV", "", 1.0, 2, rawsql.datetime(moment))]
    assert _insert_events(project, rows) == 2  # the repeat inside the rows is skipped
    assert _insert_events(project, rows[1:] + [("e3", "x", "CPU", "", 0.0, 3, rawsql.datetime(moment))]) == 1
    stored = {event.event_id: event for event in FeedbackEvent.objects.filter(project=project)}
    assert sorted(stored) == ["e1", "e2", "e3"]
    assert (stored["e1"].text, stored["e1"].confidence, stored["e1"].outcome) == (tricky, 0.1234567890123, 1)
    assert (stored["e2"].confidence, stored["e2"].corrected_label, stored["e2"].occurred_at) == (None, "TV", moment)
    assert stored["e2"].processed is False
    assert _insert_events(project, []) == 0


@pytest.mark.postgres
def test_insert_many_refuses_a_value_too_long_for_its_column_rather_than_cutting_it():
    project = ProjectFactory()
    with pytest.raises(DataError), transaction.atomic():
        _insert_events(project, [("e" * 101, "", "TV", "", None, 1, rawsql.datetime(timezone.now()))])
    assert not FeedbackEvent.objects.exists()
