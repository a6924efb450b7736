"""Plain SQL for the few statements on a hot path, with the ORM's own preparation and conversion of values.

Building a query with the ORM costs about half a millisecond of Python; on a path every annotator calls
every few seconds, several such statements were most of a request's CPU. These helpers run hand-written
statements on PostgreSQL and SQLite alike and give back the same values and model instances the ORM would.
"""

from contextlib import nullcontext
from functools import cache

from django.db import connection, transaction


def placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def lock_clause(*, skip_locked: bool, of: str = "") -> str:
    if not connection.features.has_select_for_update:
        return ""
    clause = " FOR UPDATE"
    if of and connection.features.has_select_for_update_of:
        clause += f" OF {of}"
    if skip_locked:
        clause += " SKIP LOCKED"
    return clause


def datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def batch(statements: list[tuple[str, list]]) -> list[tuple]:
    """Several statements in one round trip where the driver allows it (psycopg2 sends them in one call);
    one after the other elsewhere. The rows of the last statement come back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def rowcount(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def columns(model, alias: str = "") -> str:
    """Every concrete column of `model`, in field order, qualified by `alias` if given (what `instance` reads)."""
    return _columns(model, alias, connection.vendor)


@cache
def _columns(model, alias: str, vendor: str) -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


@cache
def converters(model, vendor: str) -> list[tuple[int, list, object]]:
    """The ORM's own conversions of each column read (JSON text, SQLite's datetime strings, ...)."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            found.append((index, functions, column))
    return found


def instance(model, values):
    """A model instance from a row of all its concrete columns, in `columns` order."""
    values = list(values)
    for index, functions, column in converters(model, connection.vendor):
        for function in functions:
            values[index] = function(values[index], column, connection)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], values)


def insert_parts(obj) -> tuple[str, str, list]:
    """(column list, placeholders, values) to INSERT a new model instance, every value prepared as the
    ORM's save() prepares it (auto_now_add included)."""
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    prepared = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    return ", ".join(connection.ops.quote_name(f.column) for f in fields), placeholders(fields), prepared


def stored(obj, pk):
    """Mark an instance as the row it was just written as."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


def insert(obj, *, along_with: list[tuple[str, list]] = ()):
    """INSERT a new model instance and mark it stored. Model signals are not sent: use this only where
    none are listened to. `along_with`: statements of the same transaction to send in the same round
    trip, run first."""
    names, marks, values = insert_parts(obj)
    sql = f"INSERT INTO {obj._meta.db_table} ({names}) VALUES ({marks}) RETURNING {connection.ops.quote_name(obj._meta.pk.column)}"
    return stored(obj, batch([*along_with, (sql, values)])[0][0])


def alone():
    """For one statement, which is atomic by itself: inside a caller's transaction it gets a savepoint,
    so that a constraint violation can be retried without breaking that transaction; outside, nothing
    (no BEGIN and COMMIT round trips)."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()
