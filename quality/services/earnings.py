"""The earnings ledger. Each accepted annotation (one that gives its item's accepted label) earns the
project's reward, times the difficulty when the project says so; each failed gold check costs the same
amount; a week with Q >= BONUS_MIN_Q earns a bonus of BONUS_SHARE of that week's rewards. Every entry is
written once: unique constraints make re-running the job harmless."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone

from accounts.models import WorkerProfile
from annotations.models import Annotation
from annotations.selectors import gold_answer_right

from ..models import EarningsEntry, LedgerKind

BONUS_MIN_Q = 0.9
BONUS_SHARE = Decimal("0.10")


def _amount(project) -> Decimal:
    factor = project.difficulty if project.reward_scales_with_difficulty else 1
    return project.reward_amount * factor


def _unbooked(kind):
    booked = EarningsEntry.objects.filter(annotation=OuterRef("pk"), kind=kind)
    return Annotation.objects.filter(superseded=False).exclude(Exists(booked)).select_related("project")


@transaction.atomic
def earnings_post() -> dict:
    rewards = [
        EarningsEntry(worker_id=a.worker_id, project=a.project, kind=LedgerKind.REWARD, annotation=a,
                      amount=_amount(a.project), currency=a.project.reward_currency, note=f"item {a.item_id}")
        for a in _unbooked(LedgerKind.REWARD).filter(is_gold=False, item__decision__isnull=False,
                                                      answer=F("item__decision__label"))
    ]
    penalties = [
        EarningsEntry(worker_id=a.worker_id, project=a.project, kind=LedgerKind.PENALTY, annotation=a,
                      amount=-_amount(a.project), currency=a.project.reward_currency, note=f"failed gold {a.item_id}")
        for a in _unbooked(LedgerKind.PENALTY).filter(is_gold=True).exclude(gold_answer_right())
    ]
    EarningsEntry.objects.bulk_create(rewards + penalties, batch_size=1000, ignore_conflicts=True)
    return {"rewards": len(rewards), "penalties": len(penalties), "bonuses": _bonuses()}


def _bonuses(today=None) -> int:
    """Bonuses for last week's rewards of workers whose Q is high."""
    today = today or timezone.now().date()
    week_start = today - timedelta(days=today.weekday() + 7)
    week_end = week_start + timedelta(days=7)
    good = WorkerProfile.objects.filter(quality_score__gte=BONUS_MIN_Q, suspended=False).values("user_id")
    totals = (
        EarningsEntry.objects.filter(kind=LedgerKind.REWARD, worker_id__in=good,
                                     created_at__date__gte=week_start, created_at__date__lt=week_end)
        .values("worker_id", "project_id", "currency").annotate(total=Sum("amount"))
    )
    bonuses = [
        EarningsEntry(worker_id=row["worker_id"], project_id=row["project_id"], kind=LedgerKind.BONUS,
                      period=week_start, amount=(row["total"] * BONUS_SHARE).quantize(Decimal("0.0001")),
                      currency=row["currency"], note=f"quality bonus, week of {week_start}")
        for row in totals if row["total"] > 0
    ]
    EarningsEntry.objects.bulk_create(bonuses, ignore_conflicts=True)
    return len(bonuses)
