import pytest
from django.db import connection

from tasks import vacuum
from tasks.celery_tasks import vacuum_hot_tables
from tests.tasks.factories import ItemFactory


def vacuum_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # this transaction's stats snapshot, read afresh
        cursor.execute("SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname = ANY(%s)", [vacuum.HOT_TABLES])
        return dict(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # VACUUM cannot run inside the test's transaction
def test_a_hot_table_is_vacuumed_once_enough_of_its_rows_are_dead():
    ItemFactory()
    before = vacuum_counts()
    assert vacuum.hot_tables_vacuum(dead_rows=10**9) == []
    assert vacuum_counts() == before
    assert sorted(vacuum.hot_tables_vacuum(dead_rows=0)) == sorted(vacuum.HOT_TABLES)
    after = vacuum_counts()
    assert all(after[table] == before.get(table, 0) + 1 for table in vacuum.HOT_TABLES), (before, after)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_uses_the_setting(settings):
    settings.ASSIGNMENT_VACUUM_DEAD_ROWS = 10**9
    assert vacuum_hot_tables() == []
    settings.ASSIGNMENT_VACUUM_DEAD_ROWS = 0
    assert sorted(vacuum_hot_tables()) == sorted(vacuum.HOT_TABLES)


def test_nothing_is_sent_to_a_database_other_than_postgresql(monkeypatch):
    class SQLite:
        vendor = "sqlite"

        def cursor(self):
            raise AssertionError("no statement should be sent")

    monkeypatch.setattr(vacuum, "connection", SQLite())
    assert vacuum.hot_tables_vacuum(dead_rows=0) == []
