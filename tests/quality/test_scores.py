"""Worker scores P, C, Q, weights W, anti-cheating rules, suspension, earnings: hand-made cases."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from annotations.models import Annotation
from quality.celery_tasks import recompute_weights
from accounts import services as accounts_services
from accounts.models import Suspension
from quality.models import DecisionSource, EarningsEntry, FlagKind, ItemDecision, WorkerFlag, WorkerScore
from quality.services import earnings, integrity, scores
from tasks.models import Assignment, AssignmentState, ProjectStatus
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


def annotate(worker, item, answer, seconds=10.0, when=None):
    now = when or timezone.now()
    assignment = Assignment.objects.create(
        project=item.project, item=item, worker=worker, state=AssignmentState.SUBMITTED, is_gold=item.is_gold,
        started_at=now, expires_at=now + timedelta(minutes=10), finished_at=now,
    )
    annotation = Annotation.objects.create(project=item.project, item=item, worker=worker, assignment=assignment,
                                           answer=answer, is_gold=item.is_gold, seconds_spent=seconds)
    if when:
        Annotation.objects.filter(pk=annotation.pk).update(created_at=when)
    return annotation


@pytest.fixture
def project():
    return ProjectFactory(status=ProjectStatus.PUBLISHED, alpha=0.5, reward_amount=Decimal("0.10"))


def score_of(worker):
    return WorkerScore.objects.get(worker=worker)


def test_p_counts_gold_and_reviewer_decisions_with_a_prior(project):
    worker = verified_worker()
    gold = [ItemFactory(project=project, gold="TV") for _ in range(4)]
    for item, answer in zip(gold, ["TV", "TV", "TV", "Phone"]):
        annotate(worker, item, answer)
    reviewed = ItemFactory(project=project)
    ItemDecision.objects.create(item=reviewed, project=project, label="CPU", confidence=1, source=DecisionSource.REVIEWER,
                                method="reviewer", answers_count=1)
    annotate(worker, reviewed, "CPU")
    scores.worker_weights_recompute()
    s = score_of(worker)
    assert (s.gold_checks, s.gold_correct) == (5, 4)
    # P = (4 + 4 * 0.7) / (5 + 4)
    assert s.precision_p == pytest.approx((4 + 2.8) / 9, abs=1e-6)


def test_one_lucky_gold_answer_does_not_make_an_expert(project):
    worker = verified_worker()
    annotate(worker, ItemFactory(project=project, gold="TV"), "TV")
    scores.worker_weights_recompute()
    assert score_of(worker).precision_p == pytest.approx((1 + 2.8) / 5)  # 0.76, not 1.0


def test_c_is_agreement_with_the_others_leaving_ones_own_answer_out(project):
    a, b, c = verified_worker(), verified_worker(), verified_worker()
    first, second = ItemFactory(project=project), ItemFactory(project=project)
    for worker, answer in ((a, "TV"), (b, "TV"), (c, "Phone")):
        annotate(worker, first, answer)
    for worker, answer in ((a, "CPU"), (b, "TV"), (c, "TV")):
        annotate(worker, second, answer)
    scores.worker_weights_recompute()
    # a: item 1 agrees with 1 of 2 others, item 2 with 0 of 2 -> 1 of 4 pairs.
    assert (score_of(a).agreement_pairs, score_of(a).agreeing_pairs) == (4, 1)
    assert (score_of(b).agreement_pairs, score_of(b).agreeing_pairs) == (4, 2)
    assert score_of(a).agreement_c == pytest.approx((1 + 2.8) / 8)


def test_q_mixes_p_and_c_with_alpha_and_sets_the_weight(project):
    worker, other = verified_worker(), verified_worker()
    item = ItemFactory(project=project)
    annotate(worker, item, "TV")
    annotate(other, item, "TV")
    annotate(worker, ItemFactory(project=project, gold="TV"), "TV")
    scores.worker_weights_recompute()
    s = score_of(worker)
    assert s.quality_q == pytest.approx(0.5 * s.precision_p + 0.5 * s.agreement_c, abs=1e-6)
    worker.worker_profile.refresh_from_db()
    assert worker.worker_profile.weight == pytest.approx(s.quality_q ** 2, abs=1e-5)
    assert worker.worker_profile.quality_score == pytest.approx(s.quality_q)


def test_answers_outside_the_window_do_not_count(project):
    worker = verified_worker()
    annotate(worker, ItemFactory(project=project, gold="TV"), "Phone", when=timezone.now() - timedelta(days=40))
    annotate(worker, ItemFactory(project=project, gold="TV"), "TV")
    scores.worker_weights_recompute(window_days=30)
    assert (score_of(worker).gold_checks, score_of(worker).gold_correct) == (1, 1)


def test_the_beat_job_is_idempotent(project):
    workers = [verified_worker() for _ in range(3)]
    items = [ItemFactory(project=project) for _ in range(3)] + [ItemFactory(project=project, gold="TV")]
    for worker in workers:
        for item in items:
            annotate(worker, item, "TV" if worker != workers[2] else "Phone")
    first = recompute_weights.delay().get()
    rows = list(WorkerScore.objects.order_by("pk").values())
    weights = list(type(workers[0].worker_profile).objects.order_by("pk").values_list("weight", "quality_score"))
    second = recompute_weights.delay().get()
    assert first["workers"] == 3 and second["weights_changed"] == 0
    assert second["rewards"] == 0 and second["penalties"] == 0
    assert list(WorkerScore.objects.order_by("pk").values()) == rows
    assert list(type(workers[0].worker_profile).objects.order_by("pk").values_list("weight", "quality_score")) == weights


# --- Anti-cheating ---------------------------------------------------------------------------------

def test_too_fast_answers_raise_a_flag(project):
    project.min_seconds = 3
    project.save()
    worker, honest = verified_worker(), verified_worker()
    for _ in range(6):
        annotate(worker, ItemFactory(project=project), "TV", seconds=0.5)
        annotate(honest, ItemFactory(project=project), "TV", seconds=8)
    integrity.integrity_check()
    assert list(WorkerFlag.objects.values_list("worker_id", "kind")) == [(worker.pk, FlagKind.TOO_FAST)]


def test_a_streak_of_failed_gold_raises_a_flag(project):
    worker, unlucky = verified_worker(), verified_worker()
    for _ in range(3):
        annotate(worker, ItemFactory(project=project, gold="TV"), "Phone")
    for answer in ("Phone", "TV", "Phone"):
        annotate(unlucky, ItemFactory(project=project, gold="TV"), answer)
    integrity.integrity_check()
    assert list(WorkerFlag.objects.values_list("worker_id", "kind")) == [(worker.pk, FlagKind.GOLD_STREAK)]


def test_the_same_label_regardless_of_the_item_raises_a_flag(project):
    lazy, others = verified_worker(), [verified_worker() for _ in range(3)]
    for n in range(24):
        item = ItemFactory(project=project)
        annotate(lazy, item, "CPU")
        for worker in others:
            annotate(worker, item, ["TV", "Phone"][n % 2])
    integrity.integrity_check()
    flags = WorkerFlag.objects.filter(kind=FlagKind.SAME_LABEL)
    assert list(flags.values_list("worker_id", flat=True)) == [lazy.pk]


def test_agreement_far_below_the_crowd_raises_a_flag(project):
    contrarian, crowd = verified_worker(), [verified_worker() for _ in range(4)]
    for n in range(12):
        item = ItemFactory(project=project)
        for worker in crowd:
            annotate(worker, item, "TV")
        annotate(contrarian, item, ["Phone", "CPU"][n % 2])
    integrity.integrity_check()
    assert WorkerFlag.objects.filter(kind=FlagKind.LOW_AGREEMENT, worker=contrarian).exists()
    assert not WorkerFlag.objects.filter(kind=FlagKind.LOW_AGREEMENT).exclude(worker=contrarian).exists()


def test_two_flags_suspend_and_an_admin_lifts_it(project, admin_user):
    spammer = verified_worker()
    project.min_seconds = 3
    project.save()
    for _ in range(6):
        annotate(spammer, ItemFactory(project=project, gold="TV"), "Phone", seconds=0.2)
    result = integrity.integrity_check()
    profile = spammer.worker_profile
    profile.refresh_from_db()
    assert result["suspended"] == 1 and profile.suspended and profile.weight == 0
    assert "too fast" in profile.suspended_reason.lower() or "faster" in profile.suspended_reason
    assert Suspension.objects.get(worker=spammer).automatic
    # Re-running neither flags again nor suspends twice.
    assert integrity.integrity_check() == {"flags_raised": 0, "suspended": 0}

    accounts_services.worker_unsuspend(profile=profile, by=admin_user)
    profile.refresh_from_db()
    assert not profile.suspended and profile.weight > 0
    assert Suspension.objects.get(worker=spammer).lifted_by == admin_user
    assert not WorkerFlag.objects.filter(worker=spammer, resolved_at__isnull=True).exists()


# --- Earnings --------------------------------------------------------------------------------------

def test_rewards_for_accepted_answers_and_penalties_for_failed_gold(project):
    project.difficulty, project.reward_scales_with_difficulty = 2, True
    project.save()
    right, wrong = verified_worker(), verified_worker()
    item = ItemFactory(project=project)
    annotate(right, item, "TV")
    annotate(wrong, item, "Phone")
    ItemDecision.objects.create(item=item, project=project, label="TV", confidence=0.99, source=DecisionSource.INFERRED,
                                method="x", answers_count=2)
    annotate(wrong, ItemFactory(project=project, gold="TV"), "CPU")
    assert earnings.earnings_post()["rewards"] == 1
    assert list(EarningsEntry.objects.filter(worker=right).values_list("kind", "amount")) == [("reward", Decimal("0.2000"))]
    assert list(EarningsEntry.objects.filter(worker=wrong).values_list("kind", "amount")) == [("penalty", Decimal("-0.2000"))]
    assert earnings.earnings_post() == {"rewards": 0, "penalties": 0, "bonuses": 0}
