"""Assignment: the next item for each annotator. The hot path of the platform.

Correct under concurrency by construction:
- an item's free slots (`Item.open_slots`) change only through conditional UPDATEs on rows locked with
  SELECT ... FOR UPDATE SKIP LOCKED, so two annotators never take the last slot twice and never wait on
  each other;
- partial unique constraints are the last line: a worker holds or answers an item at most once, and holds
  one live assignment per project;
- gold checks are unlimited (every worker may be checked on every gold item) and never take a slot.
"""

import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User, WorkerProfile
from accounts.selectors import WorkerPools, worker_pools
from core.cache import LocalCopies

from . import assignment_sql as sql
from . import practice, sampling, selectors
from .models import (
    HOLDING_STATES, SEEN_STATES, Assignment, AssignmentState, AssignmentStrategy, Item, ItemOrder, ItemState, Project,
    ProjectStatus,
)

CLAIMABLE_STATES = [ItemState.OPEN, ItemState.COLLECTING]
COMPETITION_WINDOW = timedelta(minutes=2)
PUSH_LEASE = timedelta(hours=24)
RETRY_AFTER_SECONDS = 5
PRACTICE_REASON = "Practice first: answer the practice items, then real work begins."


class NotEligible(Exception):
    """The worker may not work on this project; the message says why (shown to them). `visible`: whether
    they may know the project exists at all (False: answer 404, never its title or instructions)."""

    def __init__(self, message: str, visible: bool = True):
        super().__init__(message)
        self.visible = visible


class AssignmentError(Exception):
    """An assignment operation that does not apply. `code` says which: not_yours, not_live, expired."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass
class NextItem:
    assignment: Assignment | None
    reason: str = ""
    retry_after: int | None = None
    practice: "practice.PracticeTurn | None" = None  # a practice item to answer before any real work


# --- Eligibility ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Eligibility:
    """The answer to "may this worker work on this project?": `problem` says why not ('' when they may),
    `visible` whether they may see the project at all (its title, instructions, that it exists)."""

    problem: str = ""
    visible: bool = True

    def __bool__(self):
        return not self.problem


NOT_FOUND = "No such project."


def worker_eligibility(
    *, worker: User, project: Project, profile: WorkerProfile | None = None, pools: WorkerPools | None = None
) -> Eligibility:
    """The one place that decides whether a worker may work on a project: assignment, the pages, the
    annotator API and the project list all ask here. A draft, or a project open to a pool (a group, a
    qualification) the worker is not in, is invisible to them; the other refusals say why.
    `profile`, `pools`: when the caller already read them (the API's authentication reads the profile; the
    project list reads the pools once for all projects)."""
    if worker.role in (Role.ADMIN, Role.REVIEWER, Role.PROJECT_MANAGER):
        # Staff may look at the pages of their organisations' projects; another tenant's do not exist for them.
        visible = selectors.projects_visible_to(user=worker).filter(pk=project.pk).exists()
        return Eligibility("Only annotators receive work.", visible=visible)
    if worker.role != Role.ANNOTATOR:
        return Eligibility("Only annotators receive work.", visible=False)
    profile = profile or WorkerProfile.objects.filter(user=worker).first()
    if profile is None:
        return Eligibility("This account has no worker profile.", visible=False)
    if project.status == ProjectStatus.DRAFT or not _in_pool(worker, project, pools):
        return Eligibility(NOT_FOUND, visible=False)
    return Eligibility(_work_problem(profile=profile, project=project))


def worker_eligibility_problem(*, worker: User, project: Project, profile: WorkerProfile | None = None) -> str:
    """Why this worker gets no work on this project ('' when they may work on it): worker_eligibility's reason."""
    return worker_eligibility(worker=worker, project=project, profile=profile).problem


def _in_pool(worker: User, project: Project, pools: WorkerPools | None) -> bool:
    if not project.is_restricted:
        return True  # open projects cost the hot path no query
    pools = pools or worker_pools(worker=worker)
    return pools.admits(group_id=project.pool_group_id, qualification_id=project.pool_qualification_id)


def _work_problem(*, profile: WorkerProfile, project: Project) -> str:
    """A member of the project's pool: what still keeps them from work here ('' when nothing)."""
    if profile.suspended:
        return f"Your account is suspended: {profile.suspended_reason}"
    if not _handing_out_work(project):
        return "This project is not handing out work (not published, paused, closed or past its deadline)."
    if project.verified_only and not profile.is_verified:
        return "This project is open to verified annotators only: submit your verification first."
    if profile.weight < project.min_weight:
        return f"Your weight {profile.weight:.2f} is below this project's minimum of {project.min_weight:.2f}."
    missing = sql.missing_skills(project_id=project.pk, profile_id=profile.pk) if _requires_skills(project) else []
    if missing:
        return f"This project requires the skills: {', '.join(sorted(missing))}."
    return ""


def _requires_skills(project: Project) -> bool:
    """`requires_skills` comes with a project read by project_or_none; otherwise ask."""
    known = getattr(project, "requires_skills", None)
    return project.required_skills.exists() if known is None else known


def _handing_out_work(project: Project) -> bool:
    """The same rule as Project.objects.handing_out_work(), on the loaded row (the hot path saves a query)."""
    return project.status == ProjectStatus.PUBLISHED and (project.deadline is None or project.deadline > timezone.now())


def projects_open_to(worker: User):
    """Projects handing out work that this worker is eligible for, best paid first."""
    profile = WorkerProfile.objects.filter(user=worker).first()
    pools = worker_pools(worker=worker)
    projects = Project.objects.handing_out_work().order_by("-reward_amount", "deadline", "pk")
    return [p for p in projects if worker_eligibility(worker=worker, project=p, profile=profile, pools=pools)]


def project_or_none(pk) -> Project | None:
    """The project, read in plain SQL (the "next" path reads it on every request)."""
    return sql.project(pk)


# --- Next item ------------------------------------------------------------------------------------

def assignment_next(
    *, worker: User, project: Project, rng: random.Random | None = None, profile: WorkerProfile | None = None
) -> NextItem:
    """The worker's next item in this project: their live assignment if they hold one, else a queued
    (pushed) one, else a fresh claim; before all of these, while the project's practice round is not
    done, a practice item (`practice`, no assignment). Raises NotEligible with the reason when they may not
    work here.
    `profile`: the worker's profile if the caller read it in this request (the API's authentication does)."""
    profile = profile or WorkerProfile.objects.filter(user=worker).first()
    eligibility = worker_eligibility(worker=worker, project=project, profile=profile)
    if not eligibility:
        raise NotEligible(eligibility.problem, visible=eligibility.visible)
    # The project row is already loaded: a project without a practice round pays nothing here.
    if project.practice_required:
        turn = practice.practice_next(worker=worker, project=project)
        if turn:
            return NextItem(None, PRACTICE_REASON, practice=turn)
    rng = rng or random
    for _ in range(3):  # a lost race on a constraint is retried, never surfaced
        try:
            return _next(worker=worker, profile=profile, project=project, rng=rng)
        except IntegrityError:
            continue
    return NextItem(None, "Busy: please try again.", RETRY_AFTER_SECONDS)


def assignment_next_any(*, worker: User, rng: random.Random | None = None) -> NextItem:
    """The next item across every project this worker may work on."""
    last = NextItem(None, "No project is open to you right now.")
    for project in projects_open_to(worker):
        result = assignment_next(worker=worker, project=project, rng=rng)
        if result.assignment or result.practice:
            return result
        last = result
    return last


def _next(*, worker, profile, project, rng) -> NextItem:
    """Most requests hold nothing and need no transaction: the claim is one atomic statement. A worker
    who holds a live or queued assignment is served in a transaction with those rows locked."""
    now = timezone.now()
    _sweep_expired_leases(project=project, now=now)
    if sql.holding_ids(worker_id=worker.pk, project_id=project.pk, lock=False):
        with transaction.atomic():
            held = _serve_holding(worker=worker, project=project, now=now)
        if held:
            return NextItem(held)
    if not _admitted_by_lottery(worker=worker, weight=profile.weight, project=project, now=now, rng=rng):
        return NextItem(
            None, "Workers with a higher quality score have priority on the last items: try again shortly.",
            RETRY_AFTER_SECONDS,
        )
    # Gold checks are mixed into real work at the project's share (none once no real work is left).
    if rng.random() < project.gold_share:
        assignment = _claim(worker=worker, project=project, gold=True, rng=rng, now=now)
        if assignment:
            return NextItem(assignment)
    assignment = _claim(worker=worker, project=project, gold=False, rng=rng, now=now)
    if assignment:
        return NextItem(assignment)
    if _has_unseen(worker=worker, project=project, gold=False):
        # Every free item is locked by someone else's claim this instant: not empty, just busy.
        return NextItem(None, "Items are being handed out: try again in a moment.", 1)
    return NextItem(None, "No items are left for you in this project.")


def _serve_holding(*, worker, project, now) -> Assignment | None:
    """In a transaction: the worker's live assignment while its lease runs, else their first queued
    (pushed) one, started; a live one whose lease ran out is expired on the way. None when they hold
    nothing after all (their own submission finished it meanwhile)."""
    held, queued = _holding(worker=worker, project=project, now=now)
    if held and held.expires_at > now:
        return held
    if held:
        _expire(now=now, assignment_id=held.pk)
    if queued:
        return _start_queued(queued, project=project, now=now)
    return None


def _sweep_expired_leases(*, project, now) -> None:
    """Lazily return a few expired leases of this project to the pool, at most once per
    ASSIGNMENT_LEASE_SWEEP_SECONDS per project (shared cache; the periodic job sweeps the rest): on a busy project
    the requests would otherwise all repeat the same empty search. Each process asks the shared cache at most
    once per interval and project: within it the answer is no (another request opened the interval) or it was
    this process's own sweep."""
    every = settings.ASSIGNMENT_LEASE_SWEEP_SECONDS
    if every:
        key = f"assignment:lease-sweep:{project.pk}"
        if _shared.get(key):
            return
        _shared.put(key, True, time.time() + every)
        if not cache.add(key, 1, timeout=every):
            return
    with transaction.atomic():
        _expire(now=now, project_id=project.pk, limit=20)


def _holding(*, worker, project, now) -> tuple[Assignment | None, Assignment | None]:
    """The worker's live assignment and their first unexpired queued (pushed) one, locked."""
    ids = sql.holding_ids(worker_id=worker.pk, project_id=project.pk, lock=True)
    if not ids:
        return None, None
    mine = list(Assignment.objects.select_related("item").filter(pk__in=ids).order_by("pk"))
    held = next((a for a in mine if a.state == AssignmentState.LIVE), None)
    queued = next((a for a in mine if a.state == AssignmentState.QUEUED and a.expires_at > now), None)
    return held, queued


def _has_unseen(*, worker, project, gold) -> bool:
    return sql.unseen_exists(project_id=project.pk, worker_id=worker.pk, gold=gold)


def _claim(*, worker, project, gold, rng, now) -> Assignment | None:
    """Take a free slot on one item this worker has not seen (any gold item they have not answered) and
    start a live assignment on it. Active learning orders by the model's uncertainty (unscored items,
    at -1, last); breadth first finishes the items already being collected (fewest free slots) first;
    random starts at a random point of the id range and wraps around, which is random order without
    ORDER BY random(). Gold checks are always drawn from a random point of the gold items' ids: in order,
    every worker would meet the same checks in the same sequence (easy to pass around), and each claim
    would step over every check the worker had already answered."""
    expires_at = now + timedelta(minutes=project.lease_minutes)
    query = dict(project_id=project.pk, worker_id=worker.pk, order=project.item_order, now=now, expires_at=expires_at)
    if gold:
        return _from_random_point(sql.claim_gold, query, sql.gold_id_range(project_id=project.pk), rng)
    if project.item_order != ItemOrder.RANDOM:
        return sql.claim_and_start(**query)
    return _from_random_point(sql.claim_and_start, query, sql.id_range(project_id=project.pk), rng)


def _from_random_point(start, query, id_range, rng) -> Assignment | None:
    """start(**query) from a random id in `id_range` to the end, else from the beginning up to it."""
    low, high = id_range
    if low is None:
        return None
    pivot = rng.randint(low, high)
    return start(**query, from_id=pivot) or start(**query, below_id=pivot)


def _give_slot_back(assignment: Assignment) -> None:
    if not assignment.is_gold:
        sql.give_slot_back(item_id=assignment.item_id)


def _start_queued(queued: Assignment, *, project, now) -> Assignment:
    """A pushed assignment becomes live when its worker asks for work."""
    queued.state = AssignmentState.LIVE
    queued.started_at = now
    queued.expires_at = now + timedelta(minutes=project.lease_minutes)
    queued.save(update_fields=["state", "started_at", "expires_at"])
    return queued


@dataclass(frozen=True)
class Competition:
    """The workers competing for a project's real work in the last COMPETITION_WINDOW, and what is left."""

    weights: tuple[tuple[int, float], ...]  # (worker id, W_i) of each worker who started work in the window
    started: int  # the items they started in the window: the crowd's demand at its current pace
    supply: int  # free slots on real items, counted up to started + 1 (sql.competition)


def _admitted_by_lottery(*, worker, weight, project, now, rng) -> bool:
    """Weighted strategy: the weights decide who gets work only while demand exceeds supply.

    The demand D is what the competing workers (those who started work here in the last
    COMPETITION_WINDOW) took in that window, which is what they will ask for in the next one at their
    current pace; the asker counts once more if they are new. The supply S is the free slots on real items.
    While S >= D the work outlasts the window and everyone who asks is served: nobody idles while there is
    enough for all. Once S < D the last items are contested: a request is served with probability
    W_i / max W_j over the competing workers (sampling.admission_probability), so those items go out in
    the ratio T_i = W_i / ΣW_j. A refused worker is told when to retry; the strongest worker is never
    refused; a batch pushed by an admin (assignment_push_batch, the best worker's share first) is served
    before this gate and is not counted as demand."""
    if project.assignment_strategy != AssignmentStrategy.WEIGHTED:
        return True
    competition = _competition(project=project, now=now)
    competitors = [w for worker_id, w in competition.weights if worker_id != worker.pk]
    if not competitors:
        return True
    asker_is_new = len(competitors) == len(competition.weights)
    demand = competition.started + asker_is_new
    if not sampling.contested(supply=competition.supply, demand=demand):
        return True
    return sampling.admitted(weight, competitors, rng)


def _competition(*, project, now) -> Competition:
    """Cached for a few seconds: on a busy project the window holds many rows, and the hot path must not
    scan them on every request. Shared with its expiry moment, so that each process keeps its copy until
    then without asking the shared cache on every request."""
    timeout = settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS
    if not timeout:
        return _competition_read(project=project, now=now)
    key = f"assignment:competition:v2:{project.pk}"  # v2: (competition, expires at), no longer the bare value
    competition = _shared.get(key)
    if competition is not None:
        return competition
    cached = cache.get(key)
    if cached is None:
        cached = (_competition_read(project=project, now=now), time.time() + timeout)
        cache.set(key, cached, timeout)
    _shared.put(key, *cached)
    return cached[0]


def _competition_read(*, project, now) -> Competition:
    rows = sql.competition(project_id=project.pk, since=now - COMPETITION_WINDOW)
    return Competition(
        weights=tuple((worker_id, weight) for worker_id, weight, _, _ in rows),
        started=sum(started for _, _, started, _ in rows),
        supply=rows[0][3] if rows else 0,
    )


# The shared cache's answers on the hot path (the lease-sweep interval, the competition), kept by this process.
_shared = LocalCopies()


# --- Skip, release, complete, expire --------------------------------------------------------------

def _live(assignment_id: int, worker: User, lock: bool = True) -> Assignment:
    assignment = sql.assignment_with_item_and_project(assignment_id=assignment_id, lock=lock)
    if assignment is None or assignment.worker_id != worker.pk:
        raise AssignmentError("This assignment is not yours.", "not_yours")
    if assignment.state != AssignmentState.LIVE:
        raise AssignmentError(f"This assignment is {assignment.state}, not live.", "not_live")
    return assignment


def _finish(assignment: Assignment, state: str, now=None) -> Assignment:
    assignment.state = state
    assignment.finished_at = now or timezone.now()
    sql.finish(assignment_ids=[assignment.pk], state=state, now=assignment.finished_at)
    return assignment


@transaction.atomic
def assignment_skip(*, assignment_id: int, worker: User) -> Assignment:
    """The worker will not do this item: the slot goes back at once and they never see it again."""
    assignment = _live(assignment_id, worker)
    _give_slot_back(assignment)
    return _finish(assignment, AssignmentState.SKIPPED)


@transaction.atomic
def assignment_release(*, assignment_id: int, worker: User) -> Assignment:
    """The worker hands the item back without an answer (closing the page): the slot goes back."""
    assignment = _live(assignment_id, worker)
    _give_slot_back(assignment)
    return _finish(assignment, AssignmentState.RELEASED)


def assignment_for_submit(*, assignment_id: int, worker: User, now) -> Assignment:
    """For the submission service: the worker's live, unexpired assignment with its item and project,
    read without a lock (the submission's conditional write, annotations.submit_sql, is what guarantees
    it is still live).
    Refuses an expired lease without changing it; the caller then calls assignment_expire."""
    assignment = _live(assignment_id, worker, lock=False)
    if assignment.expires_at <= now:
        raise AssignmentError("This assignment's time ran out; the item went back to the pool.", "expired")
    return assignment


@transaction.atomic
def assignment_expire(*, assignment_id: int) -> int:
    """Expire this one assignment if its lease has run out (slot back); 0 when there was nothing to do."""
    return _expire(now=timezone.now(), assignment_id=assignment_id)


def assignment_complete(*, assignment: Assignment, now=None) -> Assignment:
    """Mark a locked live assignment submitted and count the answer on its item (without an answer row:
    simulations and tests; submissions go through annotations.submit_sql)."""
    sql.complete(assignment=assignment, now=now or timezone.now())
    return assignment


@transaction.atomic
def assignment_reopen(*, assignment_id: int, worker: User, now=None) -> Assignment:
    """Undo, for the annotations app (which removes the answer in the same transaction): the worker's
    last submitted assignment in its project becomes live again while its lease runs and its item is
    undecided. The live assignment the worker took next is released (its slot goes back), since a worker
    holds one live assignment per project. The reopened assignment keeps its slot and its lease; its
    item counts one answer fewer. Refuses with AssignmentError: not_yours, not_last (a newer answer
    exists), expired, decided, not_live (a concurrent undo or expiry got there first).

    Locks in the order the hot path does: the worker's holding rows, then the assignment, then its item,
    so an undo racing the submission of the next item waits for it and then finds itself not last."""
    now = now or timezone.now()
    holding = sql.holding_ids(worker_id=worker.pk, project_id=_project_of(assignment_id, worker), lock=True)
    assignment = (
        Assignment.objects.select_for_update(of=("self",)).select_related("item", "project")
        .filter(pk=assignment_id, worker=worker).first()
    )
    if assignment is None:
        raise AssignmentError("This assignment is not yours.", "not_yours")
    _check_reopenable(assignment, worker=worker, now=now)
    released = Assignment.objects.filter(pk__in=holding, state=AssignmentState.LIVE).exclude(pk=assignment.pk)
    for live in released:
        if Assignment.objects.filter(pk=live.pk, state=AssignmentState.LIVE).update(
            state=AssignmentState.RELEASED, finished_at=now
        ):
            _give_slot_back(live)
    reopened = Assignment.objects.filter(
        pk=assignment.pk, worker=worker, state=AssignmentState.SUBMITTED, expires_at__gt=now
    ).update(state=AssignmentState.LIVE, finished_at=None)
    if reopened != 1:
        raise AssignmentError("This answer can no longer be undone.", "not_live")
    Item.objects.filter(pk=assignment.item_id, submitted_count__gt=0).update(submitted_count=F("submitted_count") - 1)
    assignment.state, assignment.finished_at = AssignmentState.LIVE, None
    return assignment


def assignment_backdate(*, assignment_id: int, by) -> int:
    """For the crowd simulation: the worker "started" `by` (a timedelta) earlier and their lease runs `by`
    longer, so the time they spent reads like a person's thinking while the simulation runs at full speed."""
    return Assignment.objects.filter(pk=assignment_id).update(started_at=F("started_at") - by, expires_at=F("expires_at") + by)


def _project_of(assignment_id: int, worker: User) -> int:
    project_id = Assignment.objects.filter(pk=assignment_id, worker=worker).values_list("project_id", flat=True).first()
    if project_id is None:
        raise AssignmentError("This assignment is not yours.", "not_yours")
    return project_id


def _check_reopenable(assignment: Assignment, *, worker: User, now) -> None:
    """Why this locked assignment may not be reopened (raises), with its item locked on the way."""
    if assignment.state != AssignmentState.SUBMITTED:
        raise AssignmentError(f"This assignment is {assignment.state}: there is no answer to undo.", "not_live")
    if assignment.expires_at is None or assignment.expires_at <= now:
        raise AssignmentError("Too late to undo: this item's time has run out.", "expired")
    last = (
        Assignment.objects.filter(worker=worker, project_id=assignment.project_id, state=AssignmentState.SUBMITTED)
        .order_by("-finished_at", "-pk").values_list("pk", flat=True).first()
    )
    if last != assignment.pk:
        raise AssignmentError("Only your last answer can be undone.", "not_last")
    item_state = Item.objects.select_for_update().filter(pk=assignment.item_id).values_list("state", flat=True).first()
    if item_state not in CLAIMABLE_STATES:
        raise AssignmentError("Too late to undo: this item has been decided.", "decided")


def _expire(*, now, project_id=None, assignment_id=None, limit=None) -> int:
    """Expire holding assignments whose lease ran out (all, one project's, or one) and give their slots back."""
    due = sql.lock_due(now=now, project_id=project_id, assignment_id=assignment_id, limit=limit)
    for _, item_id, is_gold in due:
        if not is_gold:
            sql.give_slot_back(item_id=item_id)
    sql.finish(assignment_ids=[pk for pk, _, _ in due], state=AssignmentState.EXPIRED, now=now)
    return len(due)


@transaction.atomic
def assignments_end_for_worker(*, worker_id: int, project_ids: list[int] | None = None) -> int:
    """A suspended worker's live and queued assignments (or those in `project_ids`) end at once (released)
    and their slots go back to the pool, so nobody waits for a lease that will never be answered. Returns
    how many ended."""
    holding = sql.lock_holding_of_worker(worker_id=worker_id, project_ids=project_ids)
    for _, item_id, is_gold in holding:
        if not is_gold:
            sql.give_slot_back(item_id=item_id)
    sql.finish(assignment_ids=[pk for pk, _, _ in holding], state=AssignmentState.RELEASED, now=timezone.now())
    return len(holding)


def assignments_end_outside_pools(*, worker_ids=None, qualification_id: int | None = None, group_ids=None) -> int:
    """Workers who left a pool (a qualification revoked, a group left) stop working there at once: their live
    and queued assignments in the pools that changed end (slots back), as suspension ends them everywhere,
    unless the pool still admits them another way (its group, its qualification). The pools that changed:
    those asking for `qualification_id`, else those of `group_ids` (None: every group's pool, for a worker
    taken out of all their groups at once). `worker_ids`: who left (None: whoever holds work in those pools,
    for a group emptied at once). Returns how many ended."""
    if qualification_id is not None:
        projects = list(Project.objects.filter(pool_qualification_id=qualification_id))
    elif group_ids is not None:
        projects = list(Project.objects.filter(pool_group_id__in=list(group_ids)))
    else:
        projects = list(Project.objects.filter(pool_group__isnull=False))
    if not projects:  # the common case (a staff group left when a role is set): nothing to read further
        return 0
    if worker_ids is None:
        worker_ids = Assignment.objects.filter(project__in=projects, state__in=HOLDING_STATES).values("worker_id")
    ended = 0
    for worker in User.objects.filter(pk__in=worker_ids):
        pools = worker_pools(worker=worker)
        outside = [p.pk for p in projects if not pools.admits(group_id=p.pool_group_id, qualification_id=p.pool_qualification_id)]
        if outside:
            ended += assignments_end_for_worker(worker_id=worker.pk, project_ids=outside)
    return ended


LEFT_POOL = "You are no longer in this project's pool (a group or a qualification it asks for): your work here ended."


def assignment_pool_problem(*, assignment: Assignment, worker: User) -> str:
    """A submission asks the pool question again: a worker who left the project's pool since they were given
    the item (a qualification revoked, a group left) is told so ('' when they are still in it). Open projects
    cost nothing here."""
    project = assignment.project
    return LEFT_POOL if project.is_restricted and not _in_pool(worker, project, None) else ""


def pool_problem_of_assignment(*, assignment_id: int, worker: User) -> str:
    """The same, for a submission that failed (its assignment already ended by the revocation)."""
    assignment = Assignment.objects.select_related("project").filter(pk=assignment_id, worker=worker).first()
    return assignment_pool_problem(assignment=assignment, worker=worker) if assignment else ""


def assignments_expire_due(*, limit: int = 5000) -> int:
    """Periodic: every lease past its time goes back to the pool (requests also do this lazily)."""
    with transaction.atomic():
        return _expire(now=timezone.now(), limit=limit)


# --- Admin push -----------------------------------------------------------------------------------

@transaction.atomic
def assignment_push_batch(*, project: Project, count: int) -> dict[int, int]:
    """Distribute `count` free items among the eligible workers in proportion T_i = W_i / ΣW_j, the
    highest weight first: the strongest worker's share is the first items in order. Each becomes a queued
    assignment the worker gets on their next requests. Returns {worker id: items pushed}."""
    if count <= 0:
        return {}
    profiles = [
        p for p in WorkerProfile.objects.select_related("user").filter(user__role=Role.ANNOTATOR, suspended=False, weight__gt=0)
        .order_by("-weight", "pk")
        if not worker_eligibility_problem(worker=p.user, project=project, profile=p)
    ]
    allocation = sampling.proportional_allocation(count, [p.weight for p in profiles])
    items = list(
        Item.objects.filter(project=project, is_gold=False, state__in=CLAIMABLE_STATES, open_slots__gt=0)
        .order_by("open_slots", "pk").select_for_update(skip_locked=True, of=("self",))[: count * 2]
    )
    now, pushed = timezone.now(), {}
    for profile, quota in zip(profiles, allocation):
        pushed[profile.user_id] = _push_to(profile.user, project, items, quota, now)
    return pushed


def _push_to(worker, project, items, quota, now) -> int:
    seen = set(Assignment.objects.filter(worker=worker, project=project, state__in=SEEN_STATES).values_list("item_id", flat=True))
    given = 0
    for item in list(items):
        if given == quota:
            break
        if item.pk in seen or not sql.take_slot(item_id=item.pk):
            continue
        Assignment.objects.create(
            project=project, item=item, worker=worker, state=AssignmentState.QUEUED, pushed=True,
            expires_at=now + PUSH_LEASE,
        )
        items.remove(item)
        given += 1
    return given
