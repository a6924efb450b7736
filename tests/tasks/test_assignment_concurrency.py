"""Assignment under real concurrency: many threads, each with its own PostgreSQL connection."""

import random
from collections import Counter, defaultdict

import pytest

from annotations.models import Annotation
from annotations.services import annotation_submit
from tasks import assignment as service
from tasks.models import Assignment, AssignmentState, AssignmentStrategy, Item, ProjectStatus
from tests.concurrency import all_at_once
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker
from tests.tasks.test_assignment import WEIGHTS

THREADS = 50
ITEMS = 1000
GOLD_ITEMS = 60
OVERLAP = 3
GOLD_SHARE = 0.1


def _each_at_once(workers, work) -> list[str]:
    """work(worker, rng) for every worker at once, each in its own thread with its own connection; the
    errors raised (surfaced by the test, never swallowed)."""
    results = all_at_once([lambda w=worker, seed=seed: work(w, random.Random(seed))
                           for seed, worker in enumerate(workers)], timeout=600)
    return [repr(result) for result in results if isinstance(result, Exception)]


def _label_until_done(project, label):
    def work(worker, rng):
        while True:
            result = service.assignment_next(worker=worker, project=project, rng=rng)
            if result.assignment is None:
                if result.retry_after:
                    continue
                return
            annotation_submit(worker=worker, assignment_id=result.assignment.pk, answer=label)
    return work


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_annotators_label_a_thousand_items_with_overlap_three():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=OVERLAP, gold_share=GOLD_SHARE)
    ItemFactory.create_batch(ITEMS, project=project)
    ItemFactory.create_batch(GOLD_ITEMS, project=project, is_gold=True, gold="Phone")
    workers = [verified_worker() for _ in range(THREADS)]

    assert _each_at_once(workers, _label_until_done(project, project.label_names[0])) == []
    submitted = Assignment.objects.filter(project=project, state=AssignmentState.SUBMITTED)
    normal = submitted.filter(is_gold=False)
    # Every item ends with exactly three distinct annotators (each comparison shows the counts on failure).
    per_item = defaultdict(set)
    for item_id, worker_id in normal.values_list("item_id", "worker_id"):
        per_item[item_id].add(worker_id)
    assert Counter(len(annotators) for annotators in per_item.values()) == {OVERLAP: ITEMS}
    # No worker saw an item twice, gold included.
    all_pairs = Counter(submitted.values_list("item_id", "worker_id"))
    assert [pair for pair, seen in all_pairs.items() if seen > 1] == []
    # No assignment lost: nothing left live, queued or expired; the counters agree with the rows.
    assert Counter(Assignment.objects.exclude(state=AssignmentState.SUBMITTED).values_list("state", flat=True)) == {}
    assert normal.count() == ITEMS * OVERLAP
    assert Annotation.objects.filter(project=project).count() == submitted.count()  # every answer stored once
    real = Item.objects.filter(project=project, is_gold=False)
    assert Counter(real.values_list("open_slots", "submitted_count")) == {(0, OVERLAP): ITEMS}
    # Gold at the configured share: about 3,333 draws at p = 0.1 have a standard deviation of 0.005.
    gold_share = submitted.filter(is_gold=True).count() / submitted.count()
    assert abs(gold_share - GOLD_SHARE) < 0.03, gold_share


def _ask_and_answer(project, label, rounds, refusals):
    def work(worker, rng):
        for _ in range(rounds):
            result = service.assignment_next(worker=worker, project=project, rng=rng)
            if result.assignment is None:
                refusals.append((worker.pk, result.reason))
                continue
            annotation_submit(worker=worker, assignment_id=result.assignment.pk, answer=label)
    return work


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_workers_of_unequal_weights_asking_at_once_are_all_served_while_work_is_plentiful(settings):
    # Every request sees who else is working this instant (the old gate refused the weakest of these
    # workers 9 requests in 10 as soon as anyone else held an item).
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    project = ProjectFactory(
        status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.0, assignment_strategy=AssignmentStrategy.WEIGHTED
    )
    ItemFactory.create_batch(ITEMS, project=project)
    workers = [verified_worker(weight=w) for w in WEIGHTS]
    rounds, refusals = 20, []

    assert _each_at_once(workers, _ask_and_answer(project, project.label_names[0], rounds, refusals)) == []
    # 200 items asked for, 1,000 open: the work outlasts the window, so nobody is turned away.
    assert refusals == []
    answered = Counter(Annotation.objects.filter(project=project).values_list("worker_id", flat=True))
    assert answered == {w.pk: rounds for w in workers}
