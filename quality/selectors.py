"""Reads of the quality stage: the review queue's context, the sample estimate, results for integrators."""

import math

from annotations.models import Annotation

from .models import ItemDecision, Review, Suggestion, VerificationSample, WorkerProjectQuality


def item_answers_with_quality(item) -> list[dict]:
    """Every (non-superseded) answer on the item beside its worker's estimated accuracy in the project
    and current weight W_i."""
    answers = list(
        Annotation.objects.filter(item=item, superseded=False)
        .select_related("worker__worker_profile").order_by("created_at")
    )
    quality = dict(
        WorkerProjectQuality.objects.filter(project_id=item.project_id, worker_id__in=[a.worker_id for a in answers])
        .values_list("worker_id", "accuracy")
    )
    return [
        {
            "worker": a.worker.username, "answer": a.answer, "seconds": a.seconds_spent,
            "accuracy": quality.get(a.worker_id), "weight": getattr(getattr(a.worker, "worker_profile", None), "weight", None),
        }
        for a in answers
    ]


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95% by default): sound for small samples and p near 1."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def sample_agreement(sample: VerificationSample) -> dict:
    """How many of the sampled items the reviewers confirmed: the estimate of the dataset's accuracy."""
    reviews = Review.objects.filter(sample=sample).exclude(previous_label=None).values_list("label", "previous_label")
    reviewed = len(reviews)
    agreed = sum(1 for label, previous in reviews if label == previous)
    low, high = wilson_interval(agreed, reviewed)
    return {
        "size": sample.size, "reviewed": reviewed, "agreed": agreed,
        "accuracy": agreed / reviewed if reviewed else None, "ci_low": low, "ci_high": high,
    }


def project_results(project):
    """Per decided item: the accepted label, its confidence, the number of answers and how it was decided."""
    return ItemDecision.objects.filter(project=project).select_related("item").order_by("item_id")


def suggestion_for(item):
    return Suggestion.objects.filter(item=item).first()




def worker_history(worker, limit: int = 90) -> list:
    """The worker's daily scores, oldest first (for the admin's chart)."""
    from .models import WorkerScore

    return list(WorkerScore.objects.filter(worker=worker).order_by("-as_of")[:limit])[::-1]


def score_chart(history, width: int = 480, height: int = 120) -> list[dict]:
    """Polylines (SVG points) for Q, P, C and W, each on a 0..1 scale, with a dot on every day: a line
    needs two days, and on a worker's first day the dots are the whole chart."""
    if not history:
        return []
    step = width / max(len(history) - 1, 1)
    series = [("Q", "quality_q", "#1f77b4"), ("P", "precision_p", "#2ca02c"), ("C", "agreement_c", "#ff7f0e"),
              ("W", "weight_w", "#d62728")]
    charted = []
    for name, field, color in series:
        dots = [(f"{i * step:.1f}", f"{height - getattr(s, field) * height:.1f}") for i, s in enumerate(history)]
        charted.append({"name": name, "color": color, "last": getattr(history[-1], field), "dots": dots,
                        "points": " ".join(f"{x},{y}" for x, y in dots)})
    return charted


def earnings_totals(worker) -> list[dict]:
    from django.db.models import Sum

    from .models import EarningsEntry

    return list(EarningsEntry.objects.filter(worker=worker).values("currency", "kind").annotate(total=Sum("amount")).order_by("currency", "kind"))
