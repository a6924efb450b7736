"""Reads for the annotator's own pages: only their own work, never anyone else's answers or gold."""

from django.db.models import Count, Exists, F, OuterRef, Q

from tasks.models import HOLDING_STATES, SEEN_STATES, Assignment, Item, ItemState

from .models import Annotation


def worker_summary(*, worker) -> dict:
    """What an annotator sees of themself: submitted count and gold checks passed."""
    totals = Annotation.objects.filter(worker=worker).aggregate(
        submitted=Count("pk"),
        gold_checks=Count("pk", filter=Q(is_gold=True)),
        gold_passed=Count("pk", filter=Q(is_gold=True, answer=F("item__gold"))),
    )
    checks = totals["gold_checks"]
    totals["gold_accuracy"] = round(100.0 * totals["gold_passed"] / checks, 1) if checks else None
    return totals


def worker_project_counts(*, worker) -> dict[int, int]:
    """How many answers this worker gave in each project."""
    rows = Annotation.objects.filter(worker=worker).values("project").annotate(n=Count("pk"))
    return {row["project"]: row["n"] for row in rows}


ITEMS_LEFT_CAP = 1000


def items_left_for(*, worker, project) -> int:
    """How many items this worker could still get in the project: real (not gold) items with a free slot
    that they have not seen, plus one they hold live or queued. Counted up to ITEMS_LEFT_CAP (the page
    says "1000+"): an exact count of a million-item project would cost a scan on every page load.
    Gold checks are mixed in on top, and other workers take slots meanwhile: an estimate, said as one."""
    seen = Assignment.objects.filter(item=OuterRef("pk"), worker=worker, state__in=SEEN_STATES)
    free = (
        Item.objects.filter(project=project, is_gold=False, state__in=[ItemState.OPEN, ItemState.COLLECTING],
                            open_slots__gt=0)
        .exclude(Exists(seen)).order_by().values("pk")[:ITEMS_LEFT_CAP]
    )
    held = Assignment.objects.filter(worker=worker, project=project, state__in=HOLDING_STATES).exists()
    return min(ITEMS_LEFT_CAP, free.count() + int(held))
