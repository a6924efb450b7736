"""Reads for the annotator's own pages: only their own work, never anyone else's answers or gold."""

from django.db.models import Count, F, Q

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
