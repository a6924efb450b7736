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
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, Min, OuterRef
from django.utils import timezone

from accounts.models import Role, Skill, User, WorkerProfile

from . import sampling
from .models import (
    SEEN_STATES, Assignment, AssignmentState, AssignmentStrategy, Item, ItemOrder, ItemState, Project, ProjectStatus,
)

CLAIMABLE_STATES = [ItemState.OPEN, ItemState.COLLECTING]
COMPETITION_WINDOW = timedelta(minutes=2)
PUSH_LEASE = timedelta(hours=24)
RETRY_AFTER_SECONDS = 5


class NotEligible(Exception):
    """The worker may not work on this project; the message says why (shown to them)."""


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


# --- Eligibility ----------------------------------------------------------------------------------

def worker_eligibility_problem(*, worker: User, project: Project, profile: WorkerProfile | None = None) -> str:
    """Why this worker gets no work on this project ('' when they may work on it)."""
    if worker.role != Role.ANNOTATOR:
        return "Only annotators receive work."
    profile = profile or WorkerProfile.objects.filter(user=worker).first()
    if profile is None:
        return "This account has no worker profile."
    if profile.suspended:
        return f"Your account is suspended: {profile.suspended_reason}"
    if not _handing_out_work(project):
        return "This project is not handing out work (not published, paused, closed or past its deadline)."
    if project.verified_only and not profile.is_verified:
        return "This project is open to verified annotators only: submit your verification first."
    if profile.weight < project.min_weight:
        return f"Your weight {profile.weight:.2f} is below this project's minimum of {project.min_weight:.2f}."
    missing = Skill.objects.filter(projects=project).exclude(workers=profile).values_list("name", flat=True)
    if missing:
        return f"This project requires the skills: {', '.join(sorted(missing))}."
    return ""


def _handing_out_work(project: Project) -> bool:
    """The same rule as Project.objects.handing_out_work(), on the loaded row (the hot path saves a query)."""
    return project.status == ProjectStatus.PUBLISHED and (project.deadline is None or project.deadline > timezone.now())


def projects_open_to(worker: User):
    """Projects handing out work that this worker is eligible for, best paid first."""
    profile = WorkerProfile.objects.filter(user=worker).first()
    projects = Project.objects.handing_out_work().order_by("-reward_amount", "deadline", "pk")
    return [p for p in projects if not worker_eligibility_problem(worker=worker, project=p, profile=profile)]


# --- Next item ------------------------------------------------------------------------------------

def assignment_next(*, worker: User, project: Project, rng: random.Random | None = None) -> NextItem:
    """The worker's next item in this project: their live assignment if they hold one, else a queued
    (pushed) one, else a fresh claim. Raises NotEligible with the reason when they may not work here."""
    profile = WorkerProfile.objects.filter(user=worker).first()
    problem = worker_eligibility_problem(worker=worker, project=project, profile=profile)
    if problem:
        raise NotEligible(problem)
    rng = rng or random
    for _ in range(3):  # a lost race on a constraint is retried, never surfaced
        try:
            with transaction.atomic():
                return _next_in_transaction(worker=worker, profile=profile, project=project, rng=rng)
        except IntegrityError:
            continue
    return NextItem(None, "Busy: please try again.", RETRY_AFTER_SECONDS)


def assignment_next_any(*, worker: User, rng: random.Random | None = None) -> NextItem:
    """The next item across every project this worker may work on."""
    last = NextItem(None, "No project is open to you right now.")
    for project in projects_open_to(worker):
        result = assignment_next(worker=worker, project=project, rng=rng)
        if result.assignment:
            return result
        last = result
    return last


def _next_in_transaction(*, worker, profile, project, rng) -> NextItem:
    now = timezone.now()
    # Lazily return a few expired leases of this project (the periodic job sweeps the rest).
    _expire(Assignment.objects.filter(project=project), now=now, limit=20)
    # The worker's live assignment and queued (pushed) ones, in one query.
    mine = list(
        Assignment.objects.select_related("item").select_for_update(of=("self",))
        .filter(worker=worker, project=project, state__in=[AssignmentState.LIVE, AssignmentState.QUEUED])
        .order_by("pk")
    )
    held = next((a for a in mine if a.state == AssignmentState.LIVE), None)
    if held and held.expires_at > now:
        return NextItem(held)
    if held:
        _give_slot_back(held)
        _finish(held, AssignmentState.EXPIRED, now)
    queued = next((a for a in mine if a.state == AssignmentState.QUEUED and a.expires_at > now), None)
    if queued:
        return NextItem(_start_queued(queued, project=project, now=now))
    if not _admitted_by_lottery(worker=worker, weight=profile.weight, project=project, now=now, rng=rng):
        return NextItem(
            None, "Workers with a higher quality score have priority on the last items: try again shortly.",
            RETRY_AFTER_SECONDS,
        )
    # Gold checks are mixed into real work at the project's share; with no real work left for this
    # worker, none are sent (a stream of checks alone would only cost the worker time).
    if rng.random() < project.gold_share and _unseen_items(worker=worker, project=project, gold=False).exists():
        item = _claim_item(worker=worker, project=project, gold=True, rng=rng)
        if item:
            return NextItem(_start(worker=worker, project=project, item=item, now=now))
    item = _claim_item(worker=worker, project=project, gold=False, rng=rng)
    if item:
        return NextItem(_start(worker=worker, project=project, item=item, now=now))
    if _unseen_items(worker=worker, project=project, gold=False).exists():
        # Every free item is locked by someone else's claim this instant: not empty, just busy.
        return NextItem(None, "Items are being handed out: try again in a moment.", 1)
    return NextItem(None, "No items are left for you in this project.")


def _unseen_items(*, worker, project, gold):
    seen = Assignment.objects.filter(item=OuterRef("pk"), worker=worker, state__in=SEEN_STATES)
    items = Item.objects.filter(project=project, is_gold=gold, state__in=CLAIMABLE_STATES, open_slots__gt=0)
    return items.filter(~Exists(seen))


def _claim_item(*, worker, project, gold, rng, batch=4) -> Item | None:
    """Lock one item with a free slot that this worker has not seen, and take the slot."""
    items = _unseen_items(worker=worker, project=project, gold=gold)
    if project.item_order == ItemOrder.RANDOM:
        candidates = _random_window(items, project=project, rng=rng, batch=batch)
    elif project.item_order == ItemOrder.UNCERTAINTY:
        # Active learning: what the active model is least sure of first (unscored items, at -1, last).
        candidates = items.order_by("-model_uncertainty", "pk").select_for_update(skip_locked=True, of=("self",))[:batch]
    else:
        # Breadth first: items already being collected (fewest free slots) are finished first.
        candidates = items.order_by("open_slots", "pk").select_for_update(skip_locked=True, of=("self",))[:batch]
    for item in candidates:
        if item.is_gold or _take_slot(item):
            return item
    return None


def _random_window(items, *, project, rng, batch):
    """A random starting point in the id range, wrapping around: random order without ORDER BY random()."""
    bounds = Item.objects.filter(project=project).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    pivot = rng.randint(bounds["low"], bounds["high"])
    locked = items.order_by("pk").select_for_update(skip_locked=True, of=("self",))
    found = list(locked.filter(pk__gte=pivot)[:batch])
    return found or list(locked.filter(pk__lt=pivot)[:batch])


def _take_slot(item: Item) -> bool:
    """One conditional UPDATE: a slot taken, and the item marked as being collected."""
    taken = Item.objects.filter(pk=item.pk, open_slots__gt=0).update(
        open_slots=F("open_slots") - 1, state=ItemState.COLLECTING
    )
    return taken == 1


def _give_slot_back(assignment: Assignment) -> None:
    if not assignment.is_gold:
        Item.objects.filter(pk=assignment.item_id).update(open_slots=F("open_slots") + 1)


def _start(*, worker, project, item, now) -> Assignment:
    assignment = Assignment.objects.create(
        project=project, item=item, worker=worker, is_gold=item.is_gold, state=AssignmentState.LIVE,
        started_at=now, expires_at=now + timedelta(minutes=project.lease_minutes),
    )
    if item.is_gold and item.state == ItemState.OPEN:  # gold takes no slot, so _take_slot did not mark it
        Item.objects.filter(pk=item.pk, state=ItemState.OPEN).update(state=ItemState.COLLECTING)
    return assignment


def _start_queued(queued: Assignment, *, project, now) -> Assignment:
    """A pushed assignment becomes live when its worker asks for work."""
    queued.state = AssignmentState.LIVE
    queued.started_at = now
    queued.expires_at = now + timedelta(minutes=project.lease_minutes)
    queued.save(update_fields=["state", "started_at", "expires_at"])
    return queued


def _admitted_by_lottery(*, worker, weight, project, now, rng) -> bool:
    """Weighted strategy: while other workers compete for this project (they took work in the last
    COMPETITION_WINDOW), serve a request with probability W_i / max W_j, so the items go out in the ratio
    T_i = W_i / ΣW_j. A refused worker is told to retry shortly; the strongest worker is never refused."""
    if project.assignment_strategy != AssignmentStrategy.WEIGHTED:
        return True
    competitors = [w for worker_id, w in _active_worker_weights(project=project, now=now) if worker_id != worker.pk]
    if not competitors:
        return True
    return sampling.admitted(weight, competitors, rng)


def _active_worker_weights(*, project, now) -> list[tuple[int, float]]:
    """(worker id, W_i) of the workers who took work on this project recently. Cached for a few seconds:
    on a busy project the window holds many rows, and the hot path must not scan them on every request."""
    key = f"assignment:active-weights:{project.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    recent = Assignment.objects.filter(project=project, created_at__gte=now - COMPETITION_WINDOW)
    weights = list(
        WorkerProfile.objects.filter(user__in=recent.values("worker")).values_list("user_id", "weight")
    )
    timeout = settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS
    if timeout:
        cache.set(key, weights, timeout)
    return weights


# --- Skip, release, complete, expire --------------------------------------------------------------

def _locked_live(assignment_id: int, worker: User) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",)).select_related("item", "project")
        .filter(pk=assignment_id).first()
    )
    if assignment is None or assignment.worker_id != worker.pk:
        raise AssignmentError("This assignment is not yours.", "not_yours")
    if assignment.state != AssignmentState.LIVE:
        raise AssignmentError(f"This assignment is {assignment.state}, not live.", "not_live")
    return assignment


def _finish(assignment: Assignment, state: str, now=None) -> Assignment:
    assignment.state = state
    assignment.finished_at = now or timezone.now()
    assignment.save(update_fields=["state", "finished_at"])
    return assignment


@transaction.atomic
def assignment_skip(*, assignment_id: int, worker: User) -> Assignment:
    """The worker will not do this item: the slot goes back at once and they never see it again."""
    assignment = _locked_live(assignment_id, worker)
    _give_slot_back(assignment)
    return _finish(assignment, AssignmentState.SKIPPED)


@transaction.atomic
def assignment_release(*, assignment_id: int, worker: User) -> Assignment:
    """The worker hands the item back without an answer (closing the page): the slot goes back."""
    assignment = _locked_live(assignment_id, worker)
    _give_slot_back(assignment)
    return _finish(assignment, AssignmentState.RELEASED)


def assignment_lock_for_submit(*, assignment_id: int, worker: User, now=None) -> Assignment:
    """For the submission service, inside its transaction: the worker's live, unexpired assignment,
    locked. Refuses an expired lease without changing it (the caller's transaction is rolled back);
    the caller then calls assignment_expire, in a transaction of its own, to give the slot back."""
    assignment = _locked_live(assignment_id, worker)
    if assignment.expires_at <= (now or timezone.now()):
        raise AssignmentError("This assignment's time ran out; the item went back to the pool.", "expired")
    return assignment


@transaction.atomic
def assignment_expire(*, assignment_id: int) -> int:
    """Expire this one assignment if its lease has run out (slot back); 0 when there was nothing to do."""
    return _expire(Assignment.objects.filter(pk=assignment_id), now=timezone.now())


def assignment_complete(*, assignment: Assignment, now=None) -> Assignment:
    """Mark a locked live assignment submitted and count the answer on its item."""
    Item.objects.filter(pk=assignment.item_id).update(submitted_count=F("submitted_count") + 1)
    return _finish(assignment, AssignmentState.SUBMITTED, now)


def _expire(assignments, *, now, limit=None) -> int:
    due = (
        assignments.select_for_update(skip_locked=True)
        .filter(state__in=[AssignmentState.LIVE, AssignmentState.QUEUED], expires_at__lte=now)
        .order_by("pk")
    )
    count = 0
    for assignment in due[:limit] if limit else due:
        _give_slot_back(assignment)
        _finish(assignment, AssignmentState.EXPIRED, now)
        count += 1
    return count


def assignments_expire_due(*, limit: int = 5000) -> int:
    """Periodic: every lease past its time goes back to the pool (requests also do this lazily)."""
    with transaction.atomic():
        return _expire(Assignment.objects.all(), now=timezone.now(), limit=limit)


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
        if item.pk in seen or not _take_slot(item):
            continue
        Assignment.objects.create(
            project=project, item=item, worker=worker, state=AssignmentState.QUEUED, pushed=True,
            expires_at=now + PUSH_LEASE,
        )
        items.remove(item)
        given += 1
    return given
