"""Reads for the annotator's own pages: only their own work, never anyone else's answers or gold."""

from datetime import timezone as dt_timezone

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone

from tasks.models import HOLDING_STATES, SEEN_STATES, Assignment, Item, ItemState

from .models import Annotation


def worker_summary(*, worker, now=None) -> dict:
    """What an annotator sees of themself: submitted count and their gold accuracy, delayed and aggregated."""
    return {"submitted": Annotation.objects.filter(worker=worker).count(), **worker_gold_feedback(worker=worker, now=now)}


def worker_gold_feedback(*, worker, now=None) -> dict:
    """The worker's gold accuracy over their gold checks answered before today (UTC), counted in whole batches
    of GOLD_FEEDBACK_BATCH, oldest first. A live figure changed right after a check and told the worker that
    the item was one, and whether they got it right: a gold list could be built and shared. This one moves at
    most once a day, by a whole batch, so it names no item."""
    batch = settings.GOLD_FEEDBACK_BATCH
    start_of_today = (now or timezone.now()).astimezone(dt_timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    checks = Annotation.objects.filter(worker=worker, is_gold=True, created_at__lt=start_of_today)
    shown = checks.count() // batch * batch
    if not shown:
        return {"gold_checks": 0, "gold_accuracy": None, "gold_batch": batch}
    counted = checks.order_by("created_at", "pk").values("pk")[:shown]
    passed = Annotation.objects.filter(pk__in=counted, answer=F("item__gold")).count()
    return {"gold_checks": shown, "gold_accuracy": round(100.0 * passed / shown, 1), "gold_batch": batch}


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
