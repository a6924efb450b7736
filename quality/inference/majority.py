"""Voting: plain majority and vote weighted by worker weights W_i.

Confidence here is the (weighted) vote share of the chosen class: an agreement figure, not a calibrated
probability (three of three votes gives 1.0 whoever the voters are). Use an EM method for a posterior.
"""
import numpy as np

from .layout import checked_answers
from .posterior import (InferenceResult, answers_per_class, clamp_known, class_preference,
                        known_truth_vector, normalise_rows, pick_labels)


def worker_agreement(task_idx, worker_idx, label_idx, labels, n_workers: int) -> np.ndarray:
    """Share of each worker's answers equal to the chosen label (the consensus agreement C); 0 if none."""
    answered = np.bincount(worker_idx, minlength=n_workers)
    agreed = np.bincount(worker_idx, weights=label_idx == labels[task_idx], minlength=n_workers)
    return np.divide(agreed, answered, out=np.zeros(n_workers), where=answered > 0)


def vote(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
         vote_weight=None) -> InferenceResult:
    """score[t, k] = Σ_{answers of t for k} vote_weight[worker]; the share of the best class is confidence.

    Tasks with no (weighted) votes get the overall answer frequency, so they still get a label.
    """
    task_idx, worker_idx, label_idx = checked_answers(task_idx, worker_idx, label_idx, n_tasks, n_workers,
                                                      n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    answer_weight = None if vote_weight is None else np.asarray(vote_weight, np.float64)[worker_idx]
    scores = answers_per_class(task_idx, label_idx, n_tasks, n_classes, answer_weight)
    preference = class_preference(label_idx, n_classes)
    class_share = np.bincount(label_idx, minlength=n_classes) / max(len(label_idx), 1)
    labels = pick_labels(scores, preference)  # ties use raw votes, before any rounding by shares
    share = clamp_known(normalise_rows(scores, class_share if len(label_idx) else 1.0 / n_classes), known)
    labels = np.where(known >= 0, known, labels)
    return InferenceResult(labels=labels, confidence=share[np.arange(n_tasks), labels], posterior=share,
                           worker_quality=worker_agreement(task_idx, worker_idx, label_idx, labels, n_workers))


def majority_vote(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
                  worker_weights=None) -> InferenceResult:
    """One worker, one vote (worker_weights is ignored: use weighted_vote). Ties: see posterior.py —
    the class answered LESS often across all tasks wins, then the lower class index."""
    return vote(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, known_truth=known_truth)


def weighted_vote(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
                  worker_weights=None) -> InferenceResult:
    """Each answer counts W_i, the worker's weight (from gold accuracy and agreement, kept by quality).

    Without weights, W_i is each worker's agreement with the plain majority (known truth clamped), the
    "Wawa" rule: a first guess at quality that needs no gold. Unknown workers should be given a neutral
    weight by the caller; a weight of 0 silences a worker.
    """
    if worker_weights is None:
        majority = majority_vote(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes,
                                 known_truth=known_truth)
        worker_weights = majority.worker_quality
    if len(worker_weights) != n_workers or np.any(np.asarray(worker_weights) < 0):
        raise ValueError("worker_weights needs one non-negative weight per worker")
    return vote(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, known_truth=known_truth,
                vote_weight=worker_weights)
