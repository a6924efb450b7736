"""Anti-cheating: rules that raise flags, and suspension once a worker collects too many of them.

Rules (over the trailing day, so a reformed worker is judged on what they do now):
- too fast: at least FAST_MIN answers, and FAST_SHARE of them, under the project's minimum time;
- gold streak: the worker's last GOLD_STREAK gold checks all failed;
- same label: in a project with at least SAME_LABEL_MIN answers, one label makes SAME_LABEL_SHARE of them
  while the crowd gives that label to less than half of the same project's items;
- low agreement: with at least LOW_AGREEMENT_MIN_PAIRS comparisons, agreement C more than LOW_AGREEMENT_GAP
  below the median worker's.
SUSPEND_AFTER open flags suspend the worker: weight 0, no more work, the reason shown to them and in the
admin. Flags and suspensions are recorded; suspending and lifting are accounts' services (accounts.services),
whichever admin or job calls them; lifting resolves the flags here (worker_fresh_start).
"""

import statistics
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User, WorkerProfile
from annotations.models import Annotation

from ..models import FlagKind, WorkerFlag
from .scores import PRIOR_C, PRIOR_P, weight_from_quality, worker_tallies

RULE_WINDOW = timedelta(days=1)
FAST_MIN, FAST_SHARE = 5, 0.25
GOLD_STREAK = 3
SAME_LABEL_MIN, SAME_LABEL_SHARE = 20, 0.9
LOW_AGREEMENT_MIN_PAIRS, LOW_AGREEMENT_GAP = 20, 0.3
SUSPEND_AFTER = 2


def _too_fast(since) -> dict[int, str]:
    rows = (
        Annotation.objects.filter(created_at__gte=since, superseded=False)
        .values("worker")
        .annotate(total=Count("pk"), fast=Count("pk", filter=Q(seconds_spent__lt=F("project__min_seconds"))))
        .filter(fast__gte=FAST_MIN)
    )
    return {
        r["worker"]: f"{r['fast']} of {r['total']} answers faster than the project's minimum time"
        for r in rows if r["fast"] >= FAST_SHARE * r["total"]
    }


def _gold_streaks(since) -> dict[int, str]:
    recent = (
        Annotation.objects.filter(created_at__gte=since, is_gold=True, superseded=False)
        .annotate(correct=ExpressionWrapper(Q(answer=F("item__gold")), output_field=BooleanField()))
        .order_by("worker_id", "-created_at")
        .values_list("worker_id", "correct")
    )
    streaks: dict[int, list] = {}
    for worker_id, correct in recent:
        streaks.setdefault(worker_id, [])
        if len(streaks[worker_id]) < GOLD_STREAK:
            streaks[worker_id].append(bool(correct))
    return {
        worker: f"the last {GOLD_STREAK} gold checks failed"
        for worker, last in streaks.items() if len(last) == GOLD_STREAK and not any(last)
    }


def _same_label(since) -> dict[int, str]:
    answers = Annotation.objects.filter(created_at__gte=since, superseded=False, is_gold=False)
    per_worker = answers.values("worker", "project", "answer").annotate(n=Count("pk"))
    totals = {(r["worker"], r["project"]): r["n"] for r in answers.values("worker", "project").annotate(n=Count("pk"))}
    crowd = {(r["project"], _key(r["answer"])): r["n"] for r in answers.values("project", "answer").annotate(n=Count("pk"))}
    crowd_totals = {r["project"]: r["n"] for r in answers.values("project").annotate(n=Count("pk"))}
    flagged = {}
    for row in per_worker:
        total = totals[(row["worker"], row["project"])]
        share = row["n"] / total
        crowd_share = crowd[(row["project"], _key(row["answer"]))] / crowd_totals[row["project"]]
        if total >= SAME_LABEL_MIN and share >= SAME_LABEL_SHARE and crowd_share < 0.5:
            flagged[row["worker"]] = f"{share:.0%} of {total} answers were {row['answer']!r} (the crowd: {crowd_share:.0%})"
    return flagged


def _key(answer) -> str:
    return repr(answer)


def _low_agreement(since) -> dict[int, str]:
    pooled: dict[int, list] = {}
    for (worker, _project), tally in worker_tallies(since=since).items():
        entry = pooled.setdefault(worker, [0, 0])
        entry[0] += tally.pairs
        entry[1] += tally.agreeing
    rates = {w: agreeing / pairs for w, (pairs, agreeing) in pooled.items() if pairs >= LOW_AGREEMENT_MIN_PAIRS}
    if len(rates) < 3:
        return {}
    median = statistics.median(rates.values())
    return {
        worker: f"agreement {rate:.0%} against the crowd's median {median:.0%}"
        for worker, rate in rates.items() if rate < median - LOW_AGREEMENT_GAP
    }


RULES = {
    FlagKind.TOO_FAST: _too_fast,
    FlagKind.GOLD_STREAK: _gold_streaks,
    FlagKind.SAME_LABEL: _same_label,
    FlagKind.LOW_AGREEMENT: _low_agreement,
}


def integrity_check(*, now=None) -> dict:
    """Run every rule, record new flags (one open flag per kind and worker), suspend past the threshold."""
    since = (now or timezone.now()) - RULE_WINDOW
    raised = 0
    for kind, rule in RULES.items():
        for worker_id, detail in rule(since).items():
            raised += _flag(worker_id, kind, detail)
    suspended = 0
    open_flags = (
        WorkerFlag.objects.filter(resolved_at__isnull=True, worker__worker_profile__suspended=False)
        .values("worker").annotate(n=Count("pk")).filter(n__gte=SUSPEND_AFTER)
    )
    for row in open_flags:
        suspended += worker_suspend_for_flags(worker_id=row["worker"])
    return {"flags_raised": raised, "suspended": suspended}


def _flag(worker_id, kind, detail) -> int:
    try:
        with transaction.atomic():
            WorkerFlag.objects.create(worker_id=worker_id, kind=kind, detail=detail)
        return 1
    except IntegrityError:  # already open: the unique constraint keeps one
        return 0


def worker_suspend_for_flags(*, worker_id: int) -> int:
    """Suspend through accounts (the one home of suspension), with the open flags as the reason."""
    flags = list(WorkerFlag.objects.filter(worker_id=worker_id, resolved_at__isnull=True))
    reason = "Suspended automatically: " + "; ".join(f"{f.get_kind_display().lower()} ({f.detail})" for f in flags)
    profile = WorkerProfile.objects.get(user_id=worker_id)
    return int(accounts_services.worker_suspend(profile=profile, reason=reason, automatic=True) is not None)


@transaction.atomic
def worker_fresh_start(*, worker_id: int, by: User | None) -> None:
    """After accounts lifted a suspension (whoever lifted it, from whichever admin): the open flags are
    resolved, so the hourly job does not suspend again at once, and W is that of a worker with no record
    (the priors) until the next recomputation judges their new answers."""
    now = timezone.now()
    WorkerFlag.objects.filter(worker_id=worker_id, resolved_at__isnull=True).update(resolved_at=now, resolved_by=by)
    accounts_services.worker_weights_set(scores={worker_id: (weight_from_quality((PRIOR_P + PRIOR_C) / 2), None)})
