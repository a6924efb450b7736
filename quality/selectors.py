"""Reads of the quality stage: the review queue's context, the sample estimate, results for integrators."""

import json
import math

import numpy as np
from django.db.models import Avg, Count, Exists, OuterRef

from annotations.models import Annotation
from accounts.selectors import worker_pseudonym
from tasks.models import HOLDING_STATES, Assignment, Item, ItemState, TaskType

from . import reliability
from .inference.calibration import MIN_KNOWN_TRUTH
from .models import (
    CalibrationSource, CorrectionAnswer, CorrectionSource, DecisionSource, ItemDecision, ProjectCalibration, Review,
    Suggestion, VerificationSample, WorkerProjectQuality,
)


def item_answers_with_quality(item, *, reveal_identity: bool = False) -> list[dict]:
    """Every (non-superseded) answer on the item beside its worker's estimated accuracy in the project
    and current weight W_i. Workers are named by pseudonym unless `reveal_identity` (admins only)."""
    answers = list(
        Annotation.objects.filter(item=item, superseded=False)
        .select_related("worker__worker_profile").order_by("created_at")
    )
    quality = dict(
        WorkerProjectQuality.objects.filter(project_id=item.project_id, worker_id__in=[a.worker_id for a in answers])
        .values_list("worker_id", "accuracy")
    )
    crowd = [
        {
            "worker": a.worker.username if reveal_identity else worker_pseudonym(a.worker_id), "answer": a.answer, "seconds": a.seconds_spent,
            "accuracy": quality.get(a.worker_id), "weight": getattr(getattr(a.worker, "worker_profile", None), "weight", None),
        }
        for a in answers
    ]
    # The shop's corrections are answers too (quality/services/corrections.py): the reviewer sees who gave them.
    shop = [{"worker": f"{CorrectionSource(source).label} (the shop's correction)", "answer": answer, "seconds": None,
             "accuracy": None, "weight": None}
            for source, answer in CorrectionAnswer.objects.filter(item=item).order_by("source")
            .values_list("source", "answer")]
    return crowd + shop


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
    series = [("Q", "quality_q", "#1f77b4"), ("P", "accuracy_p", "#2ca02c"), ("C", "agreement_c", "#ff7f0e"),
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


# --- How far the accepted labels can be trusted (the project's quality page and API) ---------------

def project_calibration(project) -> dict | None:
    """The inference method and ρ of the project's last evaluation, and where ρ came from. None before the
    first evaluation wrote a ProjectCalibration."""
    return calibration_summary(ProjectCalibration.objects.filter(project=project).first())


def calibration_summary(calibration: ProjectCalibration | None) -> dict | None:
    if calibration is None:
        return None
    fitted = calibration.source == CalibrationSource.KNOWN_TRUTH
    return {
        "method": calibration.method, "correlation": calibration.correlation, "source": calibration.source,
        "temperature": calibration.temperature, "lapse": calibration.lapse,
        "known_truth": calibration.known_truth, "updated_at": calibration.updated_at,
        "model_evidence": calibration.model_evidence,
        "source_text": (f"fitted on {calibration.known_truth} known-truth item(s)" if fitted
                        else f"default learned on other crowds: {calibration.known_truth} known-truth item(s), "
                             f"{MIN_KNOWN_TRUTH} needed to fit"),
    }


def project_reliability(project) -> dict:
    """The reliability diagram: the out-of-fold confidence of every known-truth item (gold answers and
    reviewer decisions, ProjectCalibration.holdout) in 10 equal-width bins, against the share that was
    right, with a Wilson 95% interval per bin, and the expected calibration error (ECE).

    Limits: known-truth items are not a random sample of the project (gold items are chosen by people,
    reviewed items are the hard ones), so a well-calibrated diagram is evidence, not proof, for the rest;
    a bin with few items says little (read its interval)."""
    holdout = _holdout(project)
    bins = reliability.reliability_bins(holdout, wilson_interval)
    return {"pairs": len(holdout), "bins": bins, "ece": reliability.expected_calibration_error(bins)}


def project_accuracy_estimate(project) -> dict:
    """The estimated accuracy of the ACCEPTED labels, beside their mean confidence.

    Pooled evidence, one check per item:
    (a) known-truth items (ProjectCalibration.holdout) whose out-of-fold confidence reaches the project's
        accept threshold: inference would have accepted them, so whether they were right stands for an
        accepted item;
    (b) sampled verification reviews: a reviewer re-decided a random accepted item (Review with a sample
        and previous_label); the accepted label was right when the reviewer kept it (latest review per item).
    `accuracy` = correct / count with a Wilson 95% interval; `mean_confidence` is the mean confidence of the
    accepted labels inferred from the answers (reviewer decisions are certain and left out), so the two can
    be compared: an honest confidence has its mean inside the interval.

    Limits: (a) is not a random sample of accepted items (see project_reliability); (b) is, but is usually
    small. A sampled item, once reviewed, is also a reviewer decision and so known truth in the next
    evaluation's holdout: where holdout entries carry the item id as a third element, such an item is
    counted once (from its review); with bare [confidence, correct] pairs it may be counted twice.
    """
    threshold = project.accept_confidence
    sampled = _sampled_review_outcomes(project)
    known = [entry for entry in _holdout(project)
             if entry[0] >= threshold and not (len(entry) > 2 and entry[2] in sampled)]
    known_correct = sum(1 for entry in known if entry[1])
    sampled_correct = sum(sampled.values())
    count, correct = len(known) + len(sampled), known_correct + sampled_correct
    low, high = wilson_interval(correct, count)
    accepted = ItemDecision.objects.filter(
        project=project, source=DecisionSource.INFERRED, item__state=ItemState.ACCEPTED
    ).aggregate(count=Count("pk"), mean_confidence=Avg("confidence"))
    return {
        "threshold": threshold, "count": count, "correct": correct,
        "accuracy": correct / count if count else None, "ci_low": low if count else None, "ci_high": high if count else None,
        "known_truth": {"count": len(known), "correct": known_correct},
        "sampled": {"count": len(sampled), "correct": sampled_correct},
        "accepted": accepted["count"], "mean_confidence": accepted["mean_confidence"],
        "confidence_vs_interval": _compare(accepted["mean_confidence"], low, high) if count else None,
    }


def _compare(value, low, high) -> str | None:
    """Where the mean confidence lies against the accuracy's interval: "above" = overconfident."""
    if value is None:
        return None
    return "above" if value > high else "below" if value < low else "inside"


def _holdout(project) -> list:
    return ProjectCalibration.objects.filter(project=project).values_list("holdout", flat=True).first() or []


def _sampled_review_outcomes(project) -> dict[int, bool]:
    """Per sampled and reviewed item: did the reviewer keep the accepted label (its latest review)?"""
    outcomes = {}
    reviews = (Review.objects.filter(sample__project=project).exclude(previous_label=None)
               .order_by("created_at", "pk").values_list("item_id", "label", "previous_label"))
    for item_id, label, previous in reviews:
        outcomes[item_id] = label == previous
    return outcomes


def project_agreement(project) -> dict:
    """Krippendorff's alpha (nominal) of the crowd's answers on the project's non-gold items (answers
    superseded by a send-back left out), over the whole project and per class.

    Single-label and pairwise: each answer is one category. Multi-label: each exact label set is one
    category (two workers agree only on the same set). Per class: alpha of the binary coding "chose class c
    or not" (for multi-label: c in the set). Span projects are skipped: their answers are not categories,
    and a per-token coding would need the tokenisation the span inference uses.
    1 = perfect agreement, 0 = no better than chance, below 0 = systematic disagreement; None where alpha is
    undefined (no item with two answers, or everyone always gave the same answer)."""
    if project.task_type == TaskType.SPAN:
        return {"alpha": None, "items": 0, "answers": 0, "per_class": [],
                "skipped": "Span projects: answers are spans, not categories."}
    answers = list(Annotation.objects.filter(project=project, superseded=False, item__is_gold=False)
                   .values_list("item_id", "answer"))
    labels = project.label_names
    value_counts, chosen = _answer_counts(answers, labels, multi_label=project.task_type == TaskType.MULTI_LABEL)
    per_class = reliability.per_class_alpha(value_counts, chosen)
    return {
        "alpha": reliability.nominal_alpha(value_counts),
        "items": int((value_counts.sum(axis=1) >= 2).sum()), "answers": len(answers),
        "per_class": [{"label": label, "alpha": alpha, "chosen": int(chosen[:, c].sum())}
                      for c, (label, alpha) in enumerate(zip(labels, per_class))],
        "skipped": None,
    }


def _answer_counts(answers, labels, multi_label: bool):
    """Units × categories answer counts, and units × classes counts of answers that chose each class."""
    units = {item_id: row for row, item_id in enumerate(dict.fromkeys(item_id for item_id, _ in answers))}
    categories = {} if multi_label else {label: c for c, label in enumerate(labels)}
    class_index = {label: c for c, label in enumerate(labels)}
    cells, chosen_cells = [], []
    for item_id, answer in answers:
        key = json.dumps(sorted(answer)) if multi_label else answer
        cells.append((units[item_id], categories.setdefault(key, len(categories))))
        for label in (answer if multi_label else [answer]):
            if label in class_index:
                chosen_cells.append((units[item_id], class_index[label]))
    value_counts = np.zeros((len(units), max(len(categories), 1)))
    chosen = np.zeros((len(units), len(labels)))
    for matrix, entries in ((value_counts, cells), (chosen, chosen_cells)):
        if entries:
            rows, columns = zip(*entries)
            np.add.at(matrix, (list(rows), list(columns)), 1)
    return value_counts, chosen


def project_gold_items(project) -> dict:
    """The project's gold items and how many have an answer: with an empty reliability diagram the page says
    what is missing (gold not yet answered, or fewer than MIN_KNOWN_TRUTH known items) instead of "none"."""
    gold = Item.objects.filter(project=project, is_gold=True)
    answered = gold.filter(Exists(Annotation.objects.filter(item=OuterRef("pk"), superseded=False)))
    return {"count": gold.count(), "answered": answered.count(), "needed_to_fit": MIN_KNOWN_TRUTH}


def project_quality(project) -> dict:
    """Everything the project's quality page and API show, read once."""
    return {
        "calibration": project_calibration(project), "accuracy": project_accuracy_estimate(project),
        "reliability": project_reliability(project), "agreement": project_agreement(project),
    }


def reliability_chart(bins: list[dict], size: int = 360) -> dict:
    """SVG geometry of the reliability diagram, in pixels of a size × size plot area whose origin is its
    bottom-left corner at (0, size): one bar per non-empty bin up to its observed accuracy, a whisker for
    its interval, a dot at (mean confidence, accuracy), and the bin's count under the axis."""
    def x(value):
        return round(value * size, 1)

    def y(value):
        return round(size - value * size, 1)

    bars = [
        {"x": x(b["low"]) + 1, "width": x(b["high"] - b["low"]) - 2, "top": y(b["accuracy"]),
         "height": round(b["accuracy"] * size, 1), "centre": x((b["low"] + b["high"]) / 2),
         "cap_left": x((b["low"] + b["high"]) / 2) - 4, "cap_right": x((b["low"] + b["high"]) / 2) + 4,
         "dot_x": x(b["mean_confidence"]), "ci_top": y(b["ci_high"]), "ci_bottom": y(b["ci_low"]),
         "count": b["count"], "gap": b["accuracy"] - b["mean_confidence"],
         "title": (f"confidence {b['low']:.1f}–{b['high']:.1f}: {b['correct']} of {b['count']} right "
                   f"({b['accuracy']:.0%}, 95% CI {b['ci_low']:.0%}–{b['ci_high']:.0%}); "
                   f"mean confidence {b['mean_confidence']:.0%}")}
        for b in bins if b["count"]
    ]
    ticks = [{"value": f"{t / 5:.1f}", "x": x(t / 5), "y": y(t / 5)} for t in range(6)]
    return {"size": size, "half": size // 2, "bars": bars, "ticks": ticks,
            "empty_bins": [{"centre": x((b["low"] + b["high"]) / 2)} for b in bins if not b["count"]]}


def projects_with_undecided_complete_items() -> list[int]:
    """Projects with an item that has all its answers (no open slot, nobody holding it) and is still undecided:
    an evaluation that should have decided it was lost."""
    holding = Assignment.objects.filter(item=OuterRef("pk"), state__in=HOLDING_STATES)
    return list(
        Item.objects.filter(state=ItemState.COLLECTING, is_gold=False, open_slots=0, submitted_count__gt=0)
        .exclude(Exists(holding))
        .values_list("project_id", flat=True).distinct().order_by("project_id")
    )
