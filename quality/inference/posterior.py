"""What every method shares: the result type, known truth, vote counts, and the tie-breaking rule.

Tie-breaking (all methods): when two classes score the same for a task (equal votes, equal posterior), the
class answered LESS often over the whole project wins, then the lower class index. Deterministic, and
"surprisingly popular" (Prelec et al., Nature 2017): with equal votes, the class the crowd picks rarely is
the one more over-represented on this task relative to its base rate, while the popular class's votes are
partly explained by the crowd's bias towards it. The real data agree: on tied tasks the truth is the rarer
answer 50 to 15 on RTE, 109 to 72 on SP, and on WebQ the most answered grade is the truth in 11 of 567 ties.
"""
from dataclasses import dataclass
from typing import Mapping, Optional

import numpy as np

TIE_TOLERANCE = 1e-9  # relative: posteriors equal up to float rounding count as a tie


@dataclass(frozen=True)
class InferenceResult:
    """labels[t]: chosen class; confidence[t]: its probability (vote share for voting methods);
    posterior[t, k]: P(true class of t = k); worker_quality[w]: estimated P(worker w answers correctly).
    log_evidence[t, k] and class_prior[k] (EM methods only): what the posterior was made of, before
    calibration.py tempers it for workers whose errors go together."""

    labels: np.ndarray
    confidence: np.ndarray
    posterior: np.ndarray
    worker_quality: Optional[np.ndarray] = None
    worker_confusion: Optional[np.ndarray] = None
    iterations: int = 0
    log_evidence: Optional[np.ndarray] = None
    class_prior: Optional[np.ndarray] = None
    calibration: object = None  # calibration.Calibration, set by calibration.infer / selection.auto


def known_truth_vector(known_truth, n_tasks: int, n_classes: int) -> np.ndarray:
    """Known truth as a dict {task_idx: class_idx} or an array (-1 = unknown) -> int array of n_tasks."""
    known = np.full(n_tasks, -1, dtype=np.int64)
    if known_truth is None:
        return known
    if isinstance(known_truth, Mapping):
        if known_truth:
            known[np.fromiter(known_truth.keys(), np.int64)] = np.fromiter(known_truth.values(), np.int64)
    else:
        known[:] = np.asarray(known_truth, dtype=np.int64)
    if np.any(known >= n_classes) or np.any(known < -1):
        raise ValueError("known truth holds a class index outside 0..n_classes-1")
    return known


def clamp_known(posterior: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Gold answers and reviewer decisions are certain: their rows become one-hot, in place."""
    rows = np.flatnonzero(known >= 0)
    posterior[rows] = 0.0
    posterior[rows, known[rows]] = 1.0
    return posterior


def answers_per_class(task_idx, label_idx, n_tasks: int, n_classes: int, weights=None) -> np.ndarray:
    """counts[t, k] = Σ weights of the answers to task t that chose class k (one bincount, no loop)."""
    flat = np.bincount(task_idx * n_classes + label_idx, weights=weights, minlength=n_tasks * n_classes)
    return flat.reshape(n_tasks, n_classes).astype(np.float64)


def class_preference(label_idx, n_classes: int) -> np.ndarray:
    """Tie-break rank per class: higher = preferred; fewest answers overall first, then lower index."""
    counts = np.bincount(label_idx, minlength=n_classes)
    order = np.lexsort((np.arange(n_classes), counts))  # least answered first, lower index first
    preference = np.empty(n_classes, dtype=np.int64)
    preference[order] = np.arange(n_classes)[::-1]
    return preference


def pick_labels(scores: np.ndarray, preference: np.ndarray) -> np.ndarray:
    """argmax per row, ties (within TIE_TOLERANCE) resolved by `preference` (see module docstring)."""
    best = scores.max(axis=1, keepdims=True)
    tied = scores >= best - TIE_TOLERANCE * np.maximum(np.abs(best), 1e-300)
    return np.argmax(np.where(tied, preference[None, :] + 1, 0), axis=1)


def normalise_rows(scores: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1; an all-zero row (a task with no answers) gets `fallback` (the class prior)."""
    totals = scores.sum(axis=1, keepdims=True)
    empty = totals[:, 0] <= 0
    out = np.divide(scores, totals, out=np.zeros_like(scores), where=totals > 0)
    out[empty] = fallback
    return out


def row_max(matrix: np.ndarray) -> np.ndarray:
    """max over each row of a tasks × K matrix; a loop over the K columns is ~10x faster than
    matrix.max(axis=1), which reduces along the short axis."""
    out = matrix[:, 0].copy()
    for k in range(1, matrix.shape[1]):
        np.maximum(out, matrix[:, k], out=out)
    return out


def row_sum(matrix: np.ndarray) -> np.ndarray:
    """sum over each row, as a matrix-vector product (same reason as row_max)."""
    return matrix @ np.ones(matrix.shape[1])


def finish(posterior: np.ndarray, known: np.ndarray, preference: np.ndarray, **extra) -> InferenceResult:
    """Clamp known truth, choose labels with the tie rule, confidence = posterior of the chosen label."""
    posterior = clamp_known(posterior, known)
    labels = pick_labels(posterior, preference)
    confidence = np.clip(posterior[np.arange(len(labels)), labels], 0.0, 1.0)
    return InferenceResult(labels=labels, confidence=confidence, posterior=posterior, **extra)
