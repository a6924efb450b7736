import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Skill, VerificationStatus
from tasks import assignment as service
from tasks import sampling
from tasks.celery_tasks import expire_leases
from tasks.models import (Assignment, AssignmentState, AssignmentStrategy, Item, ItemOrder, ItemState,
                          ProjectStatus)
from tests.factories import verified_worker
from tests.tasks.factories import WEIGHTS, ItemFactory, ProjectFactory, took_work_recently

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=3, gold_share=0.0)
    ItemFactory.create_batch(5, project=project)
    return project


def next_item(worker, project, seed=0):
    return service.assignment_next(worker=worker, project=project, rng=random.Random(seed)).assignment


def test_asking_again_returns_the_same_live_assignment(project):
    worker = verified_worker()
    first = next_item(worker, project)
    again = next_item(worker, project)
    assert first is not None and again.pk == first.pk
    assert Assignment.objects.filter(worker=worker, state=AssignmentState.LIVE).count() == 1


def test_a_claim_takes_a_slot_and_marks_the_item_collecting(project):
    assignment = next_item(verified_worker(), project)
    item = Item.objects.get(pk=assignment.item_id)
    assert item.open_slots == 2 and item.state == ItemState.COLLECTING
    assert assignment.expires_at - assignment.started_at == timedelta(minutes=project.lease_minutes)


def test_never_an_item_already_submitted_or_skipped(project):
    worker = verified_worker()
    done = set()
    for _ in range(5):
        assignment = next_item(worker, project)
        assert assignment.item_id not in done
        done.add(assignment.item_id)
        if len(done) % 2:
            service.assignment_complete(assignment=assignment)
        else:
            service.assignment_skip(assignment_id=assignment.pk, worker=worker)
    result = service.assignment_next(worker=worker, project=project)
    assert result.assignment is None and "No items are left" in result.reason


def test_never_more_live_assignments_than_the_remaining_overlap():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=3, gold_share=0.0)
    item = ItemFactory(project=project)
    got = [next_item(verified_worker(), project) for _ in range(4)]
    assert [a is not None for a in got] == [True, True, True, False]
    item.refresh_from_db()
    assert item.open_slots == 0


def test_breadth_first_finishes_items_being_collected(project):
    first = next_item(verified_worker(), project)
    service.assignment_complete(assignment=first)
    second = next_item(verified_worker(), project)
    assert second.item_id == first.item_id


def test_random_order_still_hands_out_every_item(project):
    project.item_order = "random"
    project.save()
    worker = verified_worker()
    seen = set()
    for seed in range(5):
        assignment = next_item(worker, project, seed=seed)
        seen.add(assignment.item_id)
        service.assignment_complete(assignment=assignment)
    assert seen == set(project.items.values_list("pk", flat=True))


def test_skip_gives_the_slot_back_at_once(project):
    worker = verified_worker()
    assignment = next_item(worker, project)
    service.assignment_skip(assignment_id=assignment.pk, worker=worker)
    assert Item.objects.get(pk=assignment.item_id).open_slots == 3
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.SKIPPED


def test_release_gives_the_slot_back_and_the_worker_may_get_it_again(project):
    worker = verified_worker()
    assignment = next_item(worker, project)
    service.assignment_release(assignment_id=assignment.pk, worker=worker)
    assert Item.objects.get(pk=assignment.item_id).open_slots == 3
    assert next_item(worker, project).item_id == assignment.item_id


def test_someone_elses_assignment_cannot_be_skipped(project):
    assignment = next_item(verified_worker(), project)
    with pytest.raises(service.AssignmentError, match="not yours"):
        service.assignment_skip(assignment_id=assignment.pk, worker=verified_worker())


def _expire_now(assignment):
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_an_expired_lease_returns_the_slot_lazily_on_the_next_request(project):
    worker = verified_worker()
    stale = next_item(worker, project)
    _expire_now(stale)
    fresh = next_item(worker, project)
    assert Assignment.objects.get(pk=stale.pk).state == AssignmentState.EXPIRED
    assert fresh.pk != stale.pk
    # The slot came back: the expired item has all its slots except the one the new claim may have taken.
    assert Item.objects.get(pk=stale.item_id).open_slots == (2 if fresh.item_id == stale.item_id else 3)


def test_another_workers_expired_lease_is_swept_by_a_request_at_most_once_per_interval(project, settings,
                                                                                      monkeypatch):
    settings.ASSIGNMENT_LEASE_SWEEP_SECONDS = 60
    stale = next_item(verified_worker(), project)  # this request swept, and opened the interval
    _expire_now(stale)
    next_item(verified_worker(), project)  # within the interval: no second sweep
    assert Assignment.objects.get(pk=stale.pk).state == AssignmentState.LIVE
    clock = time.time
    monkeypatch.setattr(time, "time", lambda: clock() + 61)  # the interval is over (in the cache and the process)
    next_item(verified_worker(), project)
    assert Assignment.objects.get(pk=stale.pk).state == AssignmentState.EXPIRED
    assert Item.objects.get(pk=stale.item_id).open_slots >= 1


def test_the_periodic_job_expires_leases(project):
    worker = verified_worker()
    stale = next_item(worker, project)
    _expire_now(stale)
    assert expire_leases.delay().get() == 1
    assert Assignment.objects.get(pk=stale.pk).state == AssignmentState.EXPIRED
    assert Item.objects.get(pk=stale.item_id).open_slots == 3


def test_submitting_an_expired_lease_is_refused_and_the_slot_returns(project):
    worker = verified_worker()
    assignment = next_item(worker, project)
    _expire_now(assignment)
    with pytest.raises(service.AssignmentError, match="time ran out"):
        service.assignment_for_submit(assignment_id=assignment.pk, worker=worker, now=timezone.now())
    assert service.assignment_expire(assignment_id=assignment.pk) == 1
    assert Item.objects.get(pk=assignment.item_id).open_slots == 3
    assert service.assignment_expire(assignment_id=assignment.pk) == 0


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda w, p: _profile(w, suspended=True, suspended_reason="spam answers"), "suspended: spam answers"),
        (lambda w, p: _profile(w, verification_status=VerificationStatus.PENDING), "verified annotators only"),
        (lambda w, p: _profile(w, weight=0.1) or _project(p, min_weight=0.5), "below this project's minimum"),
        (lambda w, p: p.required_skills.add(Skill.objects.create(name="German")), "requires the skills: German"),
        (lambda w, p: _project(p, status=ProjectStatus.PAUSED), "not handing out work"),
        (lambda w, p: _project(p, deadline=timezone.now() - timedelta(hours=1)), "not handing out work"),
    ],
)
def test_ineligible_workers_get_nothing_and_are_told_why(project, setup, reason):
    worker = verified_worker()
    setup(worker, project)
    with pytest.raises(service.NotEligible, match=reason):
        service.assignment_next(worker=worker, project=project)
    assert not Assignment.objects.exists()


def _profile(worker, **fields):
    type(worker.worker_profile).objects.filter(user=worker).update(**fields)


def _project(project, **fields):
    type(project).objects.filter(pk=project.pk).update(**fields)
    project.refresh_from_db()


def test_gold_items_come_out_at_the_configured_share_and_take_no_slot():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.25)
    ItemFactory.create_batch(400, project=project)
    gold = ItemFactory.create_batch(40, project=project, is_gold=True, gold="Phone")
    rng = random.Random(7)
    workers = [verified_worker() for _ in range(20)]
    handed = []
    for _ in range(8):
        for worker in workers:
            result = service.assignment_next(worker=worker, project=project, rng=rng)
            handed.append(result.assignment.is_gold)
            service.assignment_complete(assignment=result.assignment)
    share = sum(handed) / len(handed)
    # 160 draws at p = 0.25: the standard deviation is 0.034; 3 sigma either side.
    assert 0.15 <= share <= 0.35
    assert all(Item.objects.get(pk=g.pk).open_slots == 1 for g in gold)


def _weighted_project(**kwargs):
    return ProjectFactory(
        status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.0, assignment_strategy=AssignmentStrategy.WEIGHTED,
        **kwargs,
    )


def test_contested_work_is_shared_by_weight_t_i(settings):
    # The competing workers change within milliseconds here: no cache between the requests.
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    project = _weighted_project()
    workers = [verified_worker(weight=w) for w in WEIGHTS]
    took_work_recently(project, workers, items_each=10)  # a pace of 100 items a window: more than 50 slots
    rng, got, refused = random.Random(11), Counter(), 0
    # Ten times over, 50 open slots and all ten workers asking, in a random order, until they are gone.
    for _ in range(10):
        ItemFactory.create_batch(50, project=project)
        while Item.objects.filter(project=project, open_slots__gt=0).exists():
            order = workers[:]
            rng.shuffle(order)
            for worker in order:
                result = service.assignment_next(worker=worker, project=project, rng=rng)
                if result.assignment:
                    got[worker.pk] += 1
                    service.assignment_complete(assignment=result.assignment)
                elif result.retry_after:
                    refused += 1
                else:  # the last slot went to someone earlier in this round
                    assert "No items are left" in result.reason
    total = sum(got.values())
    assert total == 500 and refused > 0
    # T_i = W_i / ΣW_j: each count within 3 standard deviations of a binomial draw of 500 at T_i (the
    # strongest worker expects 91, 26 from an equal share's 50).
    for worker, share in zip(workers, sampling.shares(WEIGHTS)):
        expected, sigma = total * share, (total * share * (1 - share)) ** 0.5
        assert abs(got[worker.pk] - expected) <= 3 * sigma, (worker.worker_profile.weight, got[worker.pk], expected)


def _outpaced(settings, *, open_items, strong_took, weight):
    """A weighted project with `open_items` free items, where a strong worker (W = 5) started `strong_took`
    items a moment ago, and a newcomer of `weight`; no competition cache. (project, newcomer)."""
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    project = _weighted_project()
    ItemFactory.create_batch(open_items, project=project)
    took_work_recently(project, [verified_worker(weight=5.0)], items_each=strong_took)
    return project, verified_worker(weight=weight)


def test_nobody_is_refused_while_the_work_outlasts_the_window(settings):
    project, newcomer = _outpaced(settings, open_items=200, strong_took=100, weight=0.1)
    rng = random.Random(3)
    # After n answers the demand is 100 + n and the supply 200 - n: enough for all up to n = 50.
    for _ in range(45):  # the old gate admitted the newcomer 1 time in 50
        result = service.assignment_next(worker=newcomer, project=project, rng=rng)
        assert result.assignment, result.reason
        service.assignment_complete(assignment=result.assignment)


def test_the_gate_closes_once_the_supply_falls_below_the_demand(settings):
    project, weak = _outpaced(settings, open_items=150, strong_took=149, weight=0.0)
    # Demand 149 + the newcomer = 150 = the supply: served. One item fewer and it is contested, and a
    # weight of 0 is then never admitted (deterministic), with a retry hint.
    first = service.assignment_next(worker=weak, project=project, rng=random.Random(0))
    assert first.assignment
    service.assignment_complete(assignment=first.assignment)
    refused = service.assignment_next(worker=weak, project=project, rng=random.Random(0))
    assert refused.assignment is None and refused.retry_after == service.RETRY_AFTER_SECONDS
    assert "priority" in refused.reason


def test_skipped_items_are_not_counted_as_demand(settings):
    """A worker who passed over 120 items took none of them: 50 free slots still outlast the demand."""
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    project = _weighted_project()
    ItemFactory.create_batch(50, project=project)
    skipper = verified_worker(weight=5.0)
    passed_over = ItemFactory.create_batch(120, project=project, open_slots=0, state=ItemState.ACCEPTED)
    Assignment.objects.bulk_create(
        Assignment(project=project, item=item, worker=skipper, state=AssignmentState.SKIPPED) for item in passed_over
    )
    weak = verified_worker(weight=0.0)  # never admitted while the work is contested
    assert service.assignment_next(worker=weak, project=project, rng=random.Random(0)).assignment
    # Counted as taken, the same rows make it contested: the weight-0 worker is told to retry.
    Assignment.objects.filter(worker=skipper).update(state=AssignmentState.SUBMITTED)
    other_weak = verified_worker(weight=0.0)
    refused = service.assignment_next(worker=other_weak, project=project, rng=random.Random(0))
    assert refused.assignment is None and refused.retry_after


def test_pushed_batches_are_not_counted_as_demand(settings):
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    project = _weighted_project()
    ItemFactory.create_batch(100, project=project)
    verified_worker(weight=5.0)
    weak = verified_worker(weight=0.0)
    pushed = service.assignment_push_batch(project=project, count=60)
    assert sum(pushed.values()) == 60
    Assignment.objects.filter(pushed=True, worker=weak).delete()  # weight 0 is given nothing by T_i anyway
    # 60 pushed rows in the window, 40 free slots: the push is not the crowd asking, so the weak worker is served.
    assert service.assignment_next(worker=weak, project=project, rng=random.Random(0)).assignment


def test_a_process_asks_the_shared_cache_for_the_competition_once_per_period(settings, monkeypatch):
    """Each process keeps the shared copy until it expires there; another process (its copies empty) reads the
    shared one rather than the database."""
    from django.core.cache import cache

    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 60
    project = _weighted_project()
    ItemFactory.create_batch(20, project=project)
    workers = [verified_worker(weight=w) for w in WEIGHTS[:4]]
    asked, reads = [], []
    monkeypatch.setattr(service, "cache", type("Spy", (), {
        "get": lambda self, key: asked.append(key) or cache.get(key),
        "set": lambda self, *a: cache.set(*a), "add": lambda self, *a, **kw: cache.add(*a, **kw)})())
    read = service.sql.competition
    monkeypatch.setattr(service.sql, "competition", lambda **kw: reads.append(kw) or read(**kw))
    for worker in workers * 2:
        service.assignment_next(worker=worker, project=project, rng=random.Random(0))
    assert (len(asked), len(reads)) == (1, 1)
    service._shared.clear()  # as another process, for a worker who holds nothing yet
    service.assignment_next(worker=verified_worker(weight=WEIGHTS[0]), project=project, rng=random.Random(0))
    assert (len(asked), len(reads)) == (2, 1)


def test_the_competition_is_read_once_per_cache_period_not_per_request(settings, monkeypatch):
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 60
    project = _weighted_project()
    ItemFactory.create_batch(20, project=project)
    workers = [verified_worker(weight=w) for w in WEIGHTS[:4]]
    reads = []
    read = service.sql.competition
    monkeypatch.setattr(service.sql, "competition", lambda **kw: reads.append(kw) or read(**kw))
    for worker in workers * 3:
        result = service.assignment_next(worker=worker, project=project, rng=random.Random(0))
        if result.assignment:
            service.assignment_complete(assignment=result.assignment)
    assert len(reads) == 1


def test_random_strategy_does_not_ration(project):
    project.assignment_strategy = AssignmentStrategy.RANDOM
    project.save()
    strong, weak = verified_worker(weight=10.0), verified_worker(weight=0.5)
    next_item(strong, project)
    assert all(service.assignment_next(worker=weak, project=project, rng=random.Random(s)).assignment for s in range(3))


@pytest.mark.parametrize("order", [ItemOrder.RANDOM, ItemOrder.BREADTH_FIRST, ItemOrder.UNCERTAINTY])
def test_items_above_the_default_priority_come_first_in_every_order(order):
    """Random order walks the ids from a random point; a priority item below the point still comes first."""
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.0, item_order=order)
    urgent = ItemFactory(project=project, priority=5)  # the lowest id: below any random point
    ItemFactory.create_batch(30, project=project)
    claimed = [service.assignment_next(worker=verified_worker(), project=project, rng=random.Random(seed)).assignment
               for seed in range(2)]
    assert claimed[0].item_id == urgent.pk
    assert claimed[1].item_id != urgent.pk and claimed[1].item.priority == 0  # then the rest, in the order


def test_push_batch_gives_the_highest_weight_the_first_items():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.0)
    items = ItemFactory.create_batch(70, project=project)
    strong, middle, weak = (verified_worker(weight=w) for w in (4.0, 2.0, 1.0))

    pushed = service.assignment_push_batch(project=project, count=70)

    assert pushed == {strong.pk: 40, middle.pk: 20, weak.pk: 10}
    first_forty = set(i.pk for i in items[:40])
    assert set(Assignment.objects.filter(worker=strong).values_list("item_id", flat=True)) == first_forty
    # A pushed item is what the worker gets next.
    assert next_item(strong, project).item_id == items[0].pk
    assert Item.objects.filter(project=project, open_slots=0).count() == 70


def test_next_across_projects_picks_an_open_project(project):
    ProjectFactory(status=ProjectStatus.DRAFT)
    result = service.assignment_next_any(worker=verified_worker())
    assert result.assignment.project_id == project.pk


def test_no_gold_checks_once_the_real_work_is_done():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1, gold_share=1.0)
    real = ItemFactory(project=project)
    ItemFactory.create_batch(5, project=project, is_gold=True, gold="Phone")
    worker = verified_worker()
    first = next_item(worker, project)
    assert first.is_gold  # gold share 1.0: checks come first while real work remains
    service.assignment_complete(assignment=first)
    # The only real item's slots are taken by others: nothing real is left, so no more checks either,
    # although this worker has four gold items still unseen.
    Item.objects.filter(pk=real.pk).update(open_slots=0)
    assert service.assignment_next(worker=worker, project=project).assignment is None


def test_a_gold_check_marks_its_open_item_collecting_and_takes_no_slot():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=2, gold_share=1.0)
    ItemFactory(project=project)
    gold = ItemFactory(project=project, is_gold=True, gold="Phone")
    assignment = next_item(verified_worker(), project)
    assert assignment.is_gold and assignment.item == gold and assignment.state == AssignmentState.LIVE
    gold.refresh_from_db()
    assert gold.state == ItemState.COLLECTING and gold.open_slots == 2
    assert Assignment.objects.get(pk=assignment.pk).is_gold


def gold_sequence(worker, project, rng, count):
    """The gold items this worker is handed, in order, answering each."""
    handed = []
    for _ in range(count):
        assignment = service.assignment_next(worker=worker, project=project, rng=rng).assignment
        handed.append(assignment.item_id)
        service.assignment_complete(assignment=assignment)
    return handed


def test_gold_checks_come_in_a_random_order_and_every_one_is_reached():
    # Breadth first orders the real work; gold checks still come from a random point of the gold ids, so
    # two workers do not meet the same checks in the same order (they could pass the answers around).
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=2, gold_share=1.0)
    ItemFactory(project=project)
    gold = {item.pk for item in ItemFactory.create_batch(30, project=project, is_gold=True, gold="Phone")}
    first = gold_sequence(verified_worker(), project, random.Random(1), 30)
    second = gold_sequence(verified_worker(), project, random.Random(2), 10)
    assert set(first) == gold  # wrapping around the pivot, a worker reaches every check exactly once
    assert first[:10] != second
    assert first != sorted(first)


def test_work_is_contested_only_when_the_supply_is_below_the_demand():
    assert not sampling.contested(supply=10, demand=10)
    assert sampling.contested(supply=9, demand=10)
    assert not sampling.contested(supply=0, demand=0)
