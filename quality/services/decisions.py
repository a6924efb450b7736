"""Item decisions (the design's flow chart): once an item has its answers, the inferred label's confidence
decides. At or above the project's threshold the item is accepted; below it, it asks for one more answer
(up to the project's maximum overlap) or goes to the review queue. With adaptive overlap an item stops
early when its first two answers already agree at the early-stop confidence.

Inference runs over the whole project's answers at once (worker confusion is learned from every item, with
gold answers and reviewer decisions as known truth), debounced: at most one evaluation per project waits
to run, whichever process asks (the key is in the shared cache). An evaluation clears the key when it starts,
so answers arriving meanwhile schedule the next; one that outlasts the debounce may overlap the next one.
That is safe because each item moves only by a conditional update from the state it was read in
(tasks/transitions.py): of two evaluations deciding the same item, one moves it and the other moves nothing.
"""

import json
from dataclasses import dataclass

import numpy as np

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import WorkerProfile
from annotations.models import Annotation
from core.cache import LocalCopies, shared_add
from tasks import transitions
from tasks.models import HOLDING_STATES, Assignment, Item, ItemState, Project, TaskType

from .. import inference, signals
from ..models import (CalibrationSource, CorrectionAnswer, DecisionSource, ItemDecision, ProjectCalibration,
                      Suggestion, WorkerProjectQuality)
from . import corrections


# The debounce keys this process saw set, until they expire in the shared cache (core.cache.shared_add).
_scheduled = LocalCopies()


def project_evaluation_schedule(*, project_id: int) -> bool:
    """Ask for an evaluation of the project soon; at most one waits per project (debounce)."""
    debounce = settings.QUALITY_EVALUATION_DEBOUNCE_SECONDS
    if debounce and not shared_add(f"quality:evaluation:{project_id}", debounce, _scheduled):
        return False
    from ..celery_tasks import evaluate_project  # the task module imports the services: import at call time

    evaluate_project.apply_async(args=[project_id], countdown=debounce)
    return True


def undecided_items_reevaluate() -> int:
    """Schedule an evaluation of each project left with fully answered, undecided items (periodic). Goes
    through the debounce: a project whose evaluation is already on its way is not asked twice."""
    from ..selectors import projects_with_undecided_complete_items

    return sum(project_evaluation_schedule(project_id=pk) for pk in projects_with_undecided_complete_items())


@dataclass
class Outcome:
    accepted: int = 0
    more_answers: int = 0
    to_review: int = 0


@dataclass
class ItemVerdict:
    label: object
    confidence: float
    model: str = ""  # the model "auto" chose, recorded with the decision so results say what made it


def project_evaluate(*, project: Project, method: str | None = None) -> Outcome:
    """Infer every item's label from the project's answers and decide the items that are ready.
    `method` names an inference method (default: inference.DEFAULT_METHOD)."""
    cache.delete(f"quality:evaluation:{project.pk}")
    # The items' state is read before the answers. An answer and its count on the item are written
    # together, so every answer counted here is in the inference below; answers that arrive while it
    # runs (seconds, on a big project) wait for the next evaluation, which their submission schedules.
    # Read the other way round, an item completed meanwhile was decided on a verdict that missed them.
    ready = _ready_items(project)
    verdicts = project_infer(project=project, method=method)
    if not verdicts:
        return Outcome()
    return _decide(project, ready, verdicts, method)


def project_infer(*, project: Project, method: str | None = None) -> dict[int, ItemVerdict]:
    """Every answered item's inferred label and confidence, from the crowd's answers and (single-label
    projects) the shop's corrections, each source one pseudo-worker (corrections.py); stores the workers'
    estimated accuracy and the calibration. Nothing without a crowd answer: corrections alone decide nothing."""
    answers = list(
        Annotation.objects.filter(project=project, superseded=False)
        .values_list("item_id", "worker_id", "answer")
    )
    if not answers:
        return {}
    if project.task_type == TaskType.SPAN:
        return _span_verdicts(project, answers)
    labels = set(project.label_names)  # a correction stored before a label was renamed is left out, not fatal
    answers += [(item_id, corrections.pseudo_worker(source), answer) for item_id, source, answer
                in CorrectionAnswer.objects.filter(project=project).values_list("item_id", "source", "answer")
                if answer in labels]
    return _categorical_verdicts(project, answers, method or inference.DEFAULT_METHOD)


# --- Inference ------------------------------------------------------------------------------------

def _class_key(answer) -> str:
    """Categorical class of an answer: the label name, or for multi-label the exact set as JSON."""
    return answer if isinstance(answer, str) else json.dumps(answer, sort_keys=True)


def _class_value(key: str):
    return json.loads(key) if key.startswith("[") else key


def _known_truth(project) -> dict:
    """Gold answers and reviewer decisions: the tasks whose label is certain."""
    known = {
        str(pk): _class_key(gold)
        for pk, gold in Item.objects.filter(project=project, is_gold=True).values_list("pk", "gold")
    }
    reviewed = ItemDecision.objects.filter(project=project, source=DecisionSource.REVIEWER).values_list("item_id", "label")
    known.update({str(pk): _class_key(label) for pk, label in reviewed})
    return known


def _categorical_verdicts(project, answers, method) -> dict[int, ItemVerdict]:
    items, workers, labels = zip(*answers)
    keys = [_class_key(a) for a in labels]
    known = _known_truth(project)
    # Every label the schema allows is a class, even one nobody chose yet (multi-label: the sets seen).
    classes = project.label_names if project.task_type != TaskType.MULTI_LABEL else sorted(set(keys) | set(known.values()))
    encoded = inference.encode_answers([str(i) for i in items], [str(w) for w in workers], keys, classes=classes)
    result = inference.infer(encoded, method, known_truth=encoded.known_truth(known),
                             previous=_previous_fit(project))
    _store_worker_quality(project, encoded, result)
    _store_calibration(project, encoded, result.calibration)
    return {
        int(task): ItemVerdict(_class_value(str(encoded.classes[label])), float(confidence), result.calibration.method)
        for task, label, confidence in zip(encoded.tasks, result.labels, result.confidence)
    }


def _previous_fit(project) -> inference.PreviousFit | None:
    stored = ProjectCalibration.objects.filter(project=project, source=CalibrationSource.KNOWN_TRUTH).first()
    if stored is None or not stored.points:
        return None
    return inference.PreviousFit(stored.method, tuple(tuple(point) for point in stored.points), stored.fitted_on,
                                 stored.fitted_on_answers)


def _store_worker_quality(project, encoded, result) -> None:
    if result.worker_quality is None:
        return
    counts = dict(zip(*np.unique(encoded.worker_idx, return_counts=True)))
    for index, worker_id in enumerate(encoded.workers):
        if str(worker_id).startswith(corrections.PSEUDO_WORKER_PREFIX):
            continue  # the shop's pseudo-workers are no one's account
        WorkerProjectQuality.objects.update_or_create(
            worker_id=int(worker_id), project=project,
            defaults={"accuracy": float(result.worker_quality[index]), "answers": int(counts.get(index, 0))},
        )


def _store_calibration(project, encoded, calibration) -> None:
    """What made this evaluation's confidences honest, with the out-of-fold known-truth pairs behind it.
    A reused fit (calibration.reused) keeps the pairs, evidence and points of the fit it reuses."""
    fields = {"method": calibration.method, "correlation": min(1.0, max(0.0, calibration.correlation)),
              "temperature": calibration.temperature, "lapse": calibration.lapse, "source": calibration.source,
              "known_truth": calibration.known_truth}
    if not calibration.reused:
        fields.update(
            holdout=[[round(float(confidence), 6), bool(correct), int(encoded.tasks[task])]
                     for confidence, correct, task in zip(calibration.holdout_confidence,
                                                          calibration.holdout_correct, calibration.holdout_tasks)],
            model_evidence=calibration.model_evidence, points=[list(point) for point in calibration.points],
            fitted_on=calibration.known_truth, fitted_on_answers=calibration.known_answers)
    ProjectCalibration.objects.update_or_create(project=project, defaults=fields)


def _span_verdicts(project, answers) -> dict[int, ItemVerdict]:
    """Spans: per item, the spans marked by more than half of the weighted workers; the confidence is the
    workers' mean pairwise span F1 (0 with a single answer: one opinion proves nothing)."""
    by_item: dict[int, list] = {}
    for item_id, worker_id, spans in answers:
        by_item.setdefault(item_id, []).append((worker_id, spans))
    weights = dict(WorkerProfile.objects.filter(user__annotations__project=project).values_list("user_id", "weight").distinct())
    verdicts = {}
    for item_id, rows in by_item.items():
        consensus = inference.aggregate_spans(
            [spans for _, spans in rows], [max(weights.get(worker, 1.0), 1e-6) for worker, _ in rows]
        )
        spans = [{"start": s, "end": e, "label": label} for s, e, label in consensus.spans]
        verdicts[item_id] = ItemVerdict(spans, float(consensus.agreement or 0.0))
    return verdicts


# --- Decisions ------------------------------------------------------------------------------------

def _ready_items(project) -> list[tuple]:
    """(id, open_slots, submitted_count, held) of the items still collecting that have answers."""
    holding = Assignment.objects.filter(item=OuterRef("pk"), state__in=HOLDING_STATES)
    return list(
        Item.objects.filter(project=project, is_gold=False, state=ItemState.COLLECTING, submitted_count__gt=0)
        .annotate(held=Exists(holding))
        .values_list("pk", "open_slots", "submitted_count", "held")
    )


def _decide(project, ready, verdicts, method=None) -> Outcome:
    outcome = Outcome()
    for item_id, open_slots, submitted, held in ready:
        verdict = verdicts.get(item_id)
        if verdict is None:
            continue
        complete = open_slots == 0 and not held
        early = project.adaptive_overlap and submitted >= 2 and verdict.confidence >= project.early_stop_confidence
        if early or (complete and verdict.confidence >= project.accept_confidence):
            outcome.accepted += _accept(project, item_id, verdict, submitted, method)
        elif complete and submitted < project.max_overlap:
            outcome.more_answers += _ask_one_more(project, item_id, verdict, method)
        elif complete:
            outcome.to_review += _send_to_review(project, item_id, verdict, method)
    return outcome


@transaction.atomic
def _accept(project, item_id, verdict, answers_count, method=None) -> int:
    # Conditional: an item a reviewer or a parallel evaluation already moved on is left alone.
    moved = transitions.item_accept(item_id=item_id)
    if moved:
        ItemDecision.objects.update_or_create(item_id=item_id, defaults={
            "project": project, "label": verdict.label, "confidence": min(1.0, max(0.0, verdict.confidence)),
            "source": DecisionSource.INFERRED, "method": _method_name(project, method, verdict), "answers_count": answers_count,
            "decided_by": None,
        })
        Suggestion.objects.filter(item_id=item_id).delete()
        signals.item_accepted_send_on_commit(item_id=item_id, project_id=project.pk)
    return int(moved)


@transaction.atomic
def _ask_one_more(project, item_id, verdict, method=None) -> int:
    moved = transitions.item_ask_one_more(item_id=item_id)
    if moved:
        _suggest(item_id, verdict, project, method)
    return int(moved)


@transaction.atomic
def _send_to_review(project, item_id, verdict, method=None) -> int:
    moved = transitions.items_send_to_review(item_ids=[item_id])
    if moved:
        _suggest(item_id, verdict, project, method)
    return moved


def _suggest(item_id, verdict, project, method=None) -> None:
    suggestion_set(item_id=item_id, label=verdict.label, confidence=verdict.confidence,
                   method=_method_name(project, method, verdict))


def suggestion_set(*, item_id: int, label, confidence: float, method: str) -> None:
    """The label a reviewer is offered for an item (one per item; the newest wins)."""
    Suggestion.objects.update_or_create(item_id=item_id, defaults={
        "label": label, "confidence": min(1.0, max(0.0, confidence)), "method": method[:64],
    })


def _method_name(project, method=None, verdict=None) -> str:
    if project.task_type == TaskType.SPAN:
        return "span_majority"
    method = method or inference.DEFAULT_METHOD
    model = getattr(verdict, "model", "")
    return f"{method}: {model}" if model and model != method else method
