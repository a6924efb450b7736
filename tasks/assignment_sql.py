"""The statements of assignment's hot path, written as SQL.

Every annotator asks for work every few seconds, so the ORM's cost of building each query (about half a
millisecond of Python per statement, several statements per request) was most of the request's CPU under
load. These statements are plain SQL that runs on PostgreSQL and SQLite alike; the differences are the
locking clause, which SQLite has no need for (it writes one transaction at a time), and one planner fence.

Callers hold the transaction; nothing here commits. Rules live in `tasks.assignment`, not here. States
and flags are written into the text as literals (`db.literals`): each statement is prepared once on
PostgreSQL, and its one plan can use the partial indexes that name those values only if it sees them.
"""

from django.db import transaction

from accounts.models import Skill, WorkerProfile
from core import rawsql as db

from .models import HOLDING_STATES, SEEN_STATES, Assignment, AssignmentState, Item, ItemOrder, ItemState, Project

ITEM = Item._meta.db_table
ASSIGNMENT = Assignment._meta.db_table
CLAIMABLE = db.literals([ItemState.OPEN, ItemState.COLLECTING])
SEEN = db.literals(SEEN_STATES)
HOLDING = db.literals(HOLDING_STATES)
LIVE, SUBMITTED = db.literal(AssignmentState.LIVE), db.literal(AssignmentState.SUBMITTED)
OPEN, COLLECTING = db.literal(ItemState.OPEN), db.literal(ItemState.COLLECTING)
# Priority first in every order (feedback items jump the queue); the claimable indexes lead with it too.
# Random order walks the ids from a random point (the primary key's order): "priority DESC, id" has no index
# and made each claim sort every claimable item past the point, so random order takes the items above the
# default priority first in a subquery of its own (_candidate) and then walks the ids.
ORDER = {
    ItemOrder.BREADTH_FIRST: "i.priority DESC, i.open_slots, i.id",
    ItemOrder.UNCERTAINTY: "i.priority DESC, i.model_uncertainty DESC, i.id",
    ItemOrder.RANDOM: "i.id",
}


# --- Whole rows, as the ORM would load them --------------------------------------------------------

def assignment_with_item_and_project(*, assignment_id: int, lock: bool) -> Assignment | None:
    """An assignment with its item and project; with `lock`, the assignment's row locked (waiting for
    the lock: a skip and an expiry of the same assignment happen one after the other)."""
    widths = [len(m._meta.concrete_fields) for m in (Assignment, Item)]
    rows = db.rows(
        f"SELECT {db.columns(Assignment, 'a')}, {db.columns(Item, 'i')}, {db.columns(Project, 'p')} FROM {ASSIGNMENT} a "
        f"JOIN {ITEM} i ON i.id = a.item_id JOIN {Project._meta.db_table} p ON p.id = a.project_id "
        f"WHERE a.id = %s{db.lock_clause(skip_locked=False, of='a') if lock else ''}",
        [assignment_id],
    )
    if not rows:
        return None
    row = rows[0]
    assignment = db.instance(Assignment, row[: widths[0]])
    assignment.item = db.instance(Item, row[widths[0]: widths[0] + widths[1]])
    assignment.project = db.instance(Project, row[widths[0] + widths[1]:])
    return assignment


# --- Submission: pieces for annotations.submit_sql, which writes the answer row in the same statement ---

def submitted_if_live(*, assignment: Assignment, now) -> tuple[str, list]:
    """The assignment marked submitted only if it is still live and its lease still runs (checked under
    the row's lock, so a concurrent skip, expiry or second submission makes it change nothing)."""
    return (
        f"UPDATE {ASSIGNMENT} SET state = {SUBMITTED}, finished_at = %s "
        f"WHERE id = %s AND worker_id = %s AND state = {LIVE} AND expires_at > %s RETURNING id, item_id",
        [db.datetime(now), assignment.pk, assignment.worker_id, db.datetime(now)],
    )


def submitted_marked(assignment: Assignment, *, now) -> None:
    """The in-memory row, once submitted_if_live has written it."""
    assignment.state, assignment.finished_at = AssignmentState.SUBMITTED, now


def complete(*, assignment: Assignment, now) -> None:
    """Mark a locked live assignment submitted and count the answer on its item, in one round trip."""
    submitted = _finish_statement(assignment_ids=[assignment.pk], state=AssignmentState.SUBMITTED, now=now)
    db.batch([count_answer(item_id=assignment.item_id), submitted])
    assignment.state, assignment.finished_at = AssignmentState.SUBMITTED, now


def count_answer_on(item: str) -> str:
    """One more answer counted on `item` (an id expression)."""
    return f"UPDATE {ITEM} SET submitted_count = submitted_count + 1 WHERE id = {item}"


def count_answer(*, item_id: int) -> tuple[str, list]:
    return count_answer_on("%s"), [item_id]


# --- Leases ----------------------------------------------------------------------------------------

def holding_ids(*, worker_id: int, project_id: int, lock: bool) -> list[int]:
    """The worker's live and queued assignments in the project; with `lock`, locked (waiting on a lock
    held by the worker's own submission: skipping it would hand them a second live item)."""
    sql = (
        f"SELECT id FROM {ASSIGNMENT} WHERE worker_id = %s AND project_id = %s "
        f"AND state IN ({HOLDING}) ORDER BY id{db.lock_clause(skip_locked=False) if lock else ''}"
    )
    return [row[0] for row in db.rows(sql, [worker_id, project_id])]


def lock_due(*, now, project_id: int | None = None, assignment_id: int | None = None, limit: int | None = None):
    """Holding assignments whose lease ran out, locked: (id, item_id, is_gold). Rows another transaction
    holds are skipped: that transaction is finishing them."""
    where, params = [f"state IN ({HOLDING})", "expires_at <= %s"], [db.datetime(now)]
    if project_id is not None:
        where.append("project_id = %s")
        params.append(project_id)
    if assignment_id is not None:
        where.append("id = %s")
        params.append(assignment_id)
    sql = f"SELECT id, item_id, is_gold FROM {ASSIGNMENT} WHERE {' AND '.join(where)} ORDER BY id"
    if limit:
        sql += " LIMIT %s"
        params.append(limit)
    return db.rows(sql + db.lock_clause(skip_locked=True), params)


def lock_holding_of_worker(*, worker_id: int, project_ids: list[int] | None = None):
    """All the worker's live and queued assignments, in every project (or in `project_ids`), locked:
    (id, item_id, is_gold). Waits for a submission in flight rather than skipping it: that one then finishes
    first."""
    sql = f"SELECT id, item_id, is_gold FROM {ASSIGNMENT} WHERE worker_id = %s AND state IN ({HOLDING})"
    params = [worker_id]
    if project_ids is not None:
        among, project_params = db.among("project_id", project_ids)
        sql, params = f"{sql} AND {among}", params + project_params
    return db.rows(sql + " ORDER BY id" + db.lock_clause(skip_locked=False), params)


def finish(*, assignment_ids: list[int], state: str, now) -> None:
    if assignment_ids:
        db.rowcount(*_finish_statement(assignment_ids=assignment_ids, state=state, now=now))


def _finish_statement(*, assignment_ids: list[int], state: str, now) -> tuple[str, list]:
    ids, id_params = db.among("id", assignment_ids)
    return f"UPDATE {ASSIGNMENT} SET state = %s, finished_at = %s WHERE {ids}", [state, db.datetime(now), *id_params]


def give_slot_back(*, item_id: int) -> None:
    db.rowcount(f"UPDATE {ITEM} SET open_slots = open_slots + 1 WHERE id = %s", [item_id])


# --- Claiming --------------------------------------------------------------------------------------

def _unseen_where(gold: bool) -> str:
    # OFFSET 0 keeps PostgreSQL from turning NOT EXISTS into an anti-join, which may read every answer
    # the worker ever gave before the first candidate; as a subplan it probes (item, worker) once per
    # candidate, so a claim costs the same after a worker's 10,000th answer as after their first.
    return (
        f"i.project_id = %s AND i.is_gold = {db.literal(gold)} AND i.state IN ({CLAIMABLE}) AND i.open_slots > 0 "
        f"AND NOT EXISTS (SELECT 1 FROM {ASSIGNMENT} a WHERE a.item_id = i.id AND a.worker_id = %s "
        f"AND a.state IN ({SEEN}){_fence()})"
    )


def _fence() -> str:
    """A subquery that PostgreSQL plans on its own, as written (SQLite takes OFFSET only after a LIMIT)."""
    return " OFFSET 0" if db.postgresql() else ""


def _unseen_params(project_id, worker_id) -> list:
    return [project_id, worker_id]


def unseen_exists(*, project_id: int, worker_id: int, gold: bool) -> bool:
    sql = f"SELECT 1 FROM {ITEM} i WHERE {_unseen_where(gold)} LIMIT 1"
    return bool(db.rows(sql, _unseen_params(project_id, worker_id)))


def _candidate(*, gold, order, from_id, below_id, lock, unseen_params) -> tuple[str, list]:
    """The first item in the project's order that this worker has not seen and has a free slot, locked;
    items another claim holds are skipped, never waited for. An id expression with its parameters
    (`unseen_params`: _unseen_params of the project and worker)."""
    locked = db.lock_clause(skip_locked=True, of="i") if lock else ""
    sql, params = f"SELECT i.id FROM {ITEM} i WHERE {_unseen_where(gold)}", [*unseen_params]
    if from_id is not None:
        sql, params = sql + " AND i.id >= %s", [*params, from_id]
    if below_id is not None:
        sql, params = sql + " AND i.id < %s", [*params, below_id]
    sql = f"{sql} ORDER BY {ORDER[order]} LIMIT 1{locked}"
    if gold or order != ItemOrder.RANDOM:
        return f"({sql})", params
    # Items above the default priority first, wherever the random point is: a short range of the claimable
    # index, empty on most projects. COALESCE asks the id walk only when there is none.
    first = (f"SELECT i.id FROM {ITEM} i WHERE {_unseen_where(gold)} AND i.priority > 0 "
             f"ORDER BY {ORDER[ItemOrder.BREADTH_FIRST]} LIMIT 1{locked}")
    return f"COALESCE(({first}), ({sql}))", [*unseen_params, *params]


def claim_and_start(*, project_id: int, worker_id: int, order: str, now, expires_at, from_id=None, below_id=None):
    """Atomically: take a slot on the first free item for this worker (the row locked, its slot taken,
    the item marked as being collected) and start the worker's live assignment on it. The assignment,
    with its item, or None when no item is free. On PostgreSQL this is one statement, with no
    transaction round trips; the one-live-assignment constraint undoes it all if the worker started
    another assignment meanwhile (IntegrityError: the caller retries)."""
    candidate, params = _candidate(gold=False, order=order, from_id=from_id, below_id=below_id, lock=True,
                                   unseen_params=_unseen_params(project_id, worker_id))
    take = f"{_take_slot(candidate)} RETURNING {db.columns(Item)}"
    return _start(take, params,
                  project_id=project_id, worker_id=worker_id, now=now, expires_at=expires_at)


def claim_gold(*, project_id: int, worker_id: int, order: str, now, expires_at, from_id=None, below_id=None):
    """Atomically: start a live assignment on the first gold item by id (from `from_id`, or below
    `below_id`) that this worker has not answered, marking the item as being collected if it was open.
    Gold takes no slot, so nothing is locked. None when there is no such gold item, and also when no real
    work is left for this worker: a stream of checks alone would only cost them time. That is asked as
    "the first real item in the claimable index's order" (whatever the project's order: only existence
    matters), not EXISTS: PostgreSQL drops the ORDER BY from an EXISTS and may then walk an index full of
    items with no free slot. `order` is not used: claim_and_start's signature. One statement on
    PostgreSQL, like claim_and_start."""
    unseen = _unseen_params(project_id, worker_id)
    candidate, params = _candidate(gold=True, order=ItemOrder.RANDOM, from_id=from_id, below_id=below_id, lock=False,
                                   unseen_params=unseen)
    real_work, real_params = _candidate(gold=False, order=ItemOrder.BREADTH_FIRST, from_id=None, below_id=None,
                                        lock=False, unseen_params=unseen)
    pick = f"SELECT {db.columns(Item)} FROM {ITEM} WHERE id = {candidate} AND {real_work} IS NOT NULL"
    pick_params = [*params, *real_params]
    return _start(pick, pick_params, project_id=project_id, worker_id=worker_id, now=now, expires_at=expires_at,
                  then=_mark_collecting)


def _mark_collecting(item: str) -> str:
    """An open item marked as being collected (gold takes no slot, so _take_slot does not mark it);
    `item` is an id expression."""
    return f"UPDATE {ITEM} SET state = {COLLECTING} WHERE id = {item} AND state = {OPEN}"


def _start(taken: str, taken_params: list, *, project_id, worker_id, now, expires_at, then=None):
    """The live assignment started on the item that `taken` (a statement giving an item's columns) gives,
    in one statement on PostgreSQL and in one transaction elsewhere; `then(item)`: a statement on that
    item (an id expression) in the same statement or transaction. The assignment with its item, or None
    when `taken` gives nothing."""
    assignment = Assignment(
        project_id=project_id, worker_id=worker_id, state=AssignmentState.LIVE, pushed=False,
        created_at=now, started_at=now, expires_at=expires_at,
    )
    if db.postgresql():
        start = (
            f"INSERT INTO {ASSIGNMENT} (project_id, item_id, worker_id, state, is_gold, pushed, created_at, started_at, "
            f"expires_at) SELECT %s, id, %s, {LIVE}, is_gold, FALSE, %s, %s, %s FROM taken RETURNING id"
        )
        start_params = [project_id, worker_id, *[db.datetime(now)] * 2, db.datetime(expires_at)]
        also = f", also AS ({then('(SELECT id FROM taken)')})" if then else ""
        with db.alone():
            found = db.rows(
                f"WITH taken AS ({taken}), started AS ({start}){also} SELECT started.id, {db.columns(Item, 'taken')} "
                "FROM started, taken",
                [*taken_params, *start_params],
            )
        if not found:
            return None
        db.stored(assignment, found[0][0])
        assignment.item = db.instance(Item, found[0][1:])
        assignment.is_gold = assignment.item.is_gold
        return assignment
    with transaction.atomic():
        found = db.rows(taken, taken_params)
        if not found:
            return None
        assignment.item = db.instance(Item, found[0])
        assignment.is_gold = assignment.item.is_gold
        if then:
            db.rowcount(then("%s"), [assignment.item.pk])
        return db.insert(assignment)


def id_range(*, project_id: int) -> tuple[int | None, int | None]:
    return db.rows(f"SELECT MIN(id), MAX(id) FROM {ITEM} WHERE project_id = %s", [project_id])[0]


def gold_id_range(*, project_id: int) -> tuple[int | None, int | None]:
    """The lowest and highest ids of the project's gold items still handed out (the gold index's ends)."""
    return db.rows(
        f"SELECT MIN(i.id), MAX(i.id) FROM {ITEM} i WHERE i.project_id = %s AND i.is_gold = {db.literal(True)} "
        f"AND i.state IN ({CLAIMABLE}) AND i.open_slots > 0",
        [project_id],
    )[0]


def _take_slot(item: str) -> str:
    """One conditional UPDATE: a slot taken on `item` (an id expression), and the item marked as being
    collected."""
    return f"UPDATE {ITEM} SET open_slots = open_slots - 1, state = {COLLECTING} WHERE id = {item} AND open_slots > 0"


def take_slot(*, item_id: int) -> bool:
    return db.rowcount(_take_slot("%s"), [item_id]) == 1


# --- Competition (read at most once per ASSIGNMENT_COMPETITION_CACHE_SECONDS per project) ----------

def competition(*, project_id: int, since) -> list[tuple[int, float, int, int]]:
    """(worker id, W_i, items they started since `since`, open supply) for each worker who started an
    assignment of their own asking in this project since then; none when nobody did. A pushed assignment
    is the admin's distribution, not a worker's asking, and is left out; so is a skipped one, whose slot went
    back at once: a worker who passes over items they cannot do takes nothing from the supply (replayed real
    crowds skip dozens of items for each one they answer). The open supply, the same on every
    row, is the free slots on real items, summed over at most (all those items started + 1) items: each
    has a slot, so the capped sum still tells whether the supply covers that demand, and the statement
    reads a bounded stretch of the claimable index however many items are open."""
    profiles = WorkerProfile._meta.db_table
    return db.rows(
        f"WITH recent AS (SELECT worker_id, COUNT(*) AS started FROM {ASSIGNMENT} "
        f"WHERE project_id = %s AND created_at >= %s AND pushed = {db.literal(False)} "
        f"AND state <> {db.literal(AssignmentState.SKIPPED)} GROUP BY worker_id) "
        f"SELECT r.worker_id, w.weight, r.started, (SELECT COALESCE(SUM(s.open_slots), 0) FROM ("
        f"SELECT i.open_slots FROM {ITEM} i WHERE i.project_id = %s AND i.is_gold = {db.literal(False)} "
        f"AND i.state IN ({CLAIMABLE}) AND i.open_slots > 0 LIMIT (SELECT SUM(started) + 1 FROM recent)) s) "
        f"FROM recent r JOIN {profiles} w ON w.user_id = r.worker_id ORDER BY r.worker_id",
        [project_id, db.datetime(since), project_id],
    )


def missing_skills(*, project_id: int, profile_id: int) -> list[str]:
    """The skills the project requires that the worker lacks."""
    required, held = Project.required_skills.through._meta.db_table, WorkerProfile.skills.through._meta.db_table
    return [name for (name,) in db.rows(
        f"SELECT s.name FROM {Skill._meta.db_table} s JOIN {required} r ON r.skill_id = s.id WHERE r.project_id = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {held} h WHERE h.skill_id = s.id AND h.workerprofile_id = %s)",
        [project_id, profile_id],
    )]


def project(pk) -> Project | None:
    """The project, with `requires_skills` set: whether it names any required skill (most do not, and
    then the eligibility check needs no skills query)."""
    required = Project.required_skills.through._meta.db_table
    found = db.rows(
        f"SELECT {db.columns(Project, 'p')}, EXISTS (SELECT 1 FROM {required} r WHERE r.project_id = p.id) "
        f"FROM {Project._meta.db_table} p WHERE p.id = %s",
        [pk],
    )
    if not found:
        return None
    project = db.instance(Project, found[0][:-1])
    project.requires_skills = bool(found[0][-1])
    return project
