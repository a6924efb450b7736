"""Plain SQL for the few statements on a hot path, with the ORM's own preparation and conversion of values.

Building a query with the ORM costs about half a millisecond of Python; on a path every annotator calls
every few seconds, several such statements were most of a request's CPU. These helpers run hand-written
statements on PostgreSQL and SQLite alike and give back the same values and model instances the ORM would.

On PostgreSQL each statement is also a prepared statement, planned once per connection: planning the
hot path's joins and CTEs cost PostgreSQL as much CPU as running them. Values that choose a plan (states,
flags that a partial index names) are written into the text with `literal`, so the one plan made for all
executions can use those indexes; the connections are told to use that plan every time (`plan_cache_mode`,
in settings), never to plan runs afresh. Behind a pooler that shares server sessions between clients
(PgBouncer in transaction mode), set DATABASE_PREPARED_STATEMENTS=0.

Each helper looks this thread's connection up once (`_connection()`) rather than through
`django.db.connection`, a proxy that looks it up again on every attribute read: dozens of reads per
request on this path.
"""

import hashlib
import json
import re
from contextlib import nullcontext
from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction


def _connection():
    """This thread's connection to the default database."""
    return connections[DEFAULT_DB_ALIAS]


@cache
def vendor() -> str:
    """The default database's vendor ("postgresql", "sqlite"): fixed by the settings for the process."""
    return connections[DEFAULT_DB_ALIAS].vendor


def postgresql() -> bool:
    return vendor() == "postgresql"


@cache
def quote_name(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


def placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def lock_clause(*, skip_locked: bool, of: str = "") -> str:
    features = _connection().features
    if not features.has_select_for_update:
        return ""
    clause = " FOR UPDATE"
    if of and features.has_select_for_update_of:
        clause += f" OF {of}"
    if skip_locked:
        clause += " SKIP LOCKED"
    return clause


def literal(value) -> str:
    """A constant of the code (a state, a flag) as an SQL literal, for the values that choose a plan."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def literals(values) -> str:
    return ", ".join(literal(value) for value in values)


def among(column: str, values) -> tuple[str, list]:
    """`column` is one of `values`, as one parameter on PostgreSQL (one prepared statement for any
    number of values) and as a list of placeholders elsewhere."""
    if postgresql():
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({placeholders(values)})", list(values)


def datetime(value):
    return _connection().ops.adapt_datetimefield_value(value)


def datetimes(values) -> list:
    """`datetime` of each value, the connection looked up once (a lookup costs as much as the adaptation)."""
    adapt = _connection().ops.adapt_datetimefield_value
    return [adapt(value) for value in values]


def rows(sql: str, params) -> list[tuple]:
    with _connection().cursor() as cursor:
        cursor.execute(*_statement(sql, params))
        return cursor.fetchall()


def batch(statements: list[tuple[str, list]]) -> list[tuple]:
    """Several statements in one round trip where the driver allows it (psycopg2 sends them in one call);
    one after the other elsewhere. The rows of the last statement come back."""
    with _connection().cursor() as cursor:
        if postgresql():
            calls = [_statement(sql, params) for sql, params in statements]
            cursor.execute("; ".join(sql for sql, _ in calls), [p for _, params in calls for p in params])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def rowcount(sql: str, params) -> int:
    with _connection().cursor() as cursor:
        cursor.execute(*_statement(sql, params))
        return cursor.rowcount


def _statement(sql: str, params) -> tuple[str, list]:
    """What to send for `sql`: itself, or on PostgreSQL the EXECUTE of its prepared statement (the
    caller holds a cursor, so the connection is open)."""
    if not postgresql() or not settings.DATABASE_PREPARED_STATEMENTS:
        return sql, params
    name = _prepared_name(sql)
    return (f"EXECUTE {name}({placeholders(params)})" if params else f"EXECUTE {name}"), params


def _prepared_name(sql: str) -> str:
    """The name of `sql` prepared on this connection, preparing it on first use. PREPARE is sent on
    its own, outside Django's query log, so that a failure is known to be its own (a failed EXECUTE
    leaves the statement prepared); prepared statements outlive transactions, not the connection."""
    wrapper = _connection()
    raw = wrapper.connection
    known = getattr(wrapper, "_rawsql_prepared", None)
    if known is None or known[0] is not raw:
        known = wrapper._rawsql_prepared = (raw, set())
    name = _name(sql)
    if name not in known[1]:
        with wrapper.wrap_database_errors, raw.cursor() as cursor:
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        known[1].add(name)
    return name


@cache
def _name(sql: str) -> str:
    return "rawsql_" + hashlib.sha1(sql.encode()).hexdigest()[:20]


@cache
def _numbered(sql: str) -> str:
    """%s placeholders as PostgreSQL's $1, $2, ... (a literal percent sign is %% in both)."""
    parts = sql.split("%s")
    numbered = parts[0]
    for number, part in enumerate(parts[1:], start=1):
        numbered += f"${number}{part}"
    return numbered.replace("%%", "%")


def columns(model, alias: str = "") -> str:
    """Every concrete column of `model`, in field order, qualified by `alias` if given (what `instance` reads)."""
    return _columns(model, alias)


@cache
def _columns(model, alias: str) -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{quote_name(f.column)}" for f in model._meta.concrete_fields)


@cache
def converters(model) -> list[tuple[int, list, object]]:
    """The ORM's own conversions of each column read (JSON text, SQLite's datetime strings, ...)."""
    found, wrapper = [], _connection()
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        functions = wrapper.ops.get_db_converters(column) + column.get_db_converters(wrapper)
        if functions:
            found.append((index, functions, column))
    return found


@cache
def _attnames(model) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def instance(model, values):
    """A model instance from a row of all its concrete columns, in `columns` order."""
    values, wrapper = list(values), _connection()
    for index, functions, column in converters(model):
        for function in functions:
            values[index] = function(values[index], column, wrapper)
    return model.from_db(DEFAULT_DB_ALIAS, _attnames(model), values)


def insert_parts(obj) -> tuple[str, str, list]:
    """(column list, placeholders, values) to INSERT a new model instance, every value prepared as the
    ORM's save() prepares it (auto_now_add included)."""
    fields, wrapper = [f for f in obj._meta.concrete_fields if not f.primary_key], _connection()
    prepared = [f.get_db_prep_save(f.pre_save(obj, add=True), wrapper) for f in fields]
    return ", ".join(quote_name(f.column) for f in fields), placeholders(fields), prepared


def stored(obj, pk):
    """Mark an instance as the row it was just written as."""
    obj.pk = pk
    obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS
    return obj


def insert(obj, *, along_with: list[tuple[str, list]] = ()):
    """INSERT a new model instance and mark it stored. Model signals are not sent: use this only where
    none are listened to. `along_with`: statements of the same transaction to send in the same round
    trip, run first."""
    names, marks, values = insert_parts(obj)
    sql = f"INSERT INTO {obj._meta.db_table} ({names}) VALUES ({marks}) RETURNING {quote_name(obj._meta.pk.column)}"
    return stored(obj, batch([*along_with, (sql, values)])[0][0])


def insert_many(model, fields: list[str], rows: list[tuple], *, constants: dict[str, object] | None = None,
                skip_conflicts_on: tuple[str, ...] = ()) -> int:
    """INSERT `rows` of `model`: each row holds the values of `fields` (names), already prepared for the
    database; `constants` ({field name: prepared value}) are the same in every row. A row that conflicts on the
    unique fields `skip_conflicts_on` is skipped (ON CONFLICT DO NOTHING), whether it conflicts with a stored
    row or with an earlier row of `rows`: the constraint decides. Returns how many rows were inserted. Model
    signals are not sent, and no field's defaults or pre_save (auto_now_add) apply: give every value.

    On PostgreSQL one statement for any number of rows: the rows go as one JSON array of arrays, each value
    cast to its column's type there, and the statement is prepared, planned once per connection. The ORM's
    bulk_create sends a new text of one placeholder per value, parsed and planned each time, and psycopg2
    quotes each value on its own (an array per column costs the same): for 500 rows of 10 values, 5 ms of
    this process's CPU against 1 ms for json.dumps. Elsewhere one statement per row, in one transaction."""
    constants = constants or {}
    sql = _insert_many_sql(model, tuple(fields), tuple(constants), tuple(skip_conflicts_on))
    if postgresql():
        # Values JSON has no type for (datetimes, decimals) go as their text, which the casts read.
        return rowcount(sql, [*constants.values(), json.dumps(rows, default=str, ensure_ascii=False, allow_nan=False)])
    with transaction.atomic(), _connection().cursor() as cursor:
        cursor.executemany(sql, [(*constants.values(), *row) for row in rows])
        return cursor.rowcount


@cache
def _insert_many_sql(model, fields: tuple, constants: tuple, skip_conflicts_on: tuple) -> str:
    def column(name):
        return quote_name(model._meta.get_field(name).column)

    into = ", ".join(column(name) for name in (*constants, *fields))
    conflict = f" ON CONFLICT ({', '.join(map(column, skip_conflicts_on))}) DO NOTHING" if skip_conflicts_on else ""
    if not postgresql():
        return f"INSERT INTO {model._meta.db_table} ({into}) VALUES ({placeholders(constants + fields)}){conflict}"

    def cast(name):
        return _element_type(model._meta.get_field(name))

    selected = [f"%s::{cast(name)}" for name in constants]
    selected += [f"(given.cells ->> {index})::{cast(name)}" for index, name in enumerate(fields)]
    return (f"INSERT INTO {model._meta.db_table} ({into}) SELECT {', '.join(selected)} "
            f"FROM jsonb_array_elements(%s::jsonb) AS given(cells){conflict}")


def _element_type(field) -> str:
    """The column's type to cast a value to, without its length (varchar(100) -> varchar): a cast to
    varchar(100) would cut a longer value silently, where writing it to the column refuses it."""
    return re.sub(r"\(.*\)", "", field.cast_db_type(_connection()))


def alone():
    """For one statement, which is atomic by itself: inside a caller's transaction it gets a savepoint,
    so that a constraint violation can be retried without breaking that transaction; outside, nothing
    (no BEGIN and COMMIT round trips)."""
    return transaction.atomic() if _connection().in_atomic_block else nullcontext()


def delete_in_batches(sql: str, params: list, *, batch_size: int) -> int:
    """Run a DELETE that removes at most `batch_size` rows (`... WHERE id IN (SELECT id ... LIMIT n)`) again and
    again, each run committed on its own, until a run removes fewer: rows of any number go without one long
    transaction (whose deferred foreign-key checks PostgreSQL keeps in memory until it commits) and without
    their ids in Python. Returns how many went."""
    removed_in_all = 0
    while True:
        with transaction.atomic(), _connection().cursor() as cursor:
            cursor.execute(sql, params)
            removed = cursor.rowcount
        removed_in_all += removed
        if removed < batch_size:
            return removed_in_all
