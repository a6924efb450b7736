"""How far a project's figures can be trusted, as plain functions on numbers (no Django): the reliability
diagram's bins and the expected calibration error of [confidence, correct] pairs, and Krippendorff's alpha
(nominal) of the crowd's answers from a value-count matrix.

The Wilson interval is passed in (selectors.wilson_interval) so this module keeps no copy of it.
"""

from collections.abc import Callable, Sequence

import krippendorff
import numpy as np

BINS = 10


def reliability_bins(pairs: Sequence[Sequence], interval: Callable[[int, int], tuple[float, float]],
                     bins: int = BINS) -> list[dict]:
    """Equal-width confidence bins over [0, 1] (a confidence of exactly 1 falls in the last one). Per bin:
    its edges, how many pairs fell in it, their mean confidence, the share that was correct (observed
    accuracy) and its interval; an empty bin has None for the last three."""
    confidence, correct = _as_arrays(pairs)
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        hits = int(correct[inside].sum())
        low, high = interval(hits, count) if count else (None, None)
        rows.append({
            "low": b / bins, "high": (b + 1) / bins, "count": count, "correct": hits,
            "mean_confidence": float(confidence[inside].mean()) if count else None,
            "accuracy": hits / count if count else None, "ci_low": low, "ci_high": high,
        })
    return rows


def expected_calibration_error(bins: list[dict]) -> float | None:
    """ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|: the average gap, weighted by where the items
    are, between what the confidence promised and what came true. None without pairs."""
    total = sum(b["count"] for b in bins)
    if not total:
        return None
    return sum(b["count"] / total * abs(b["accuracy"] - b["mean_confidence"]) for b in bins if b["count"])


def _as_arrays(pairs) -> tuple[np.ndarray, np.ndarray]:
    if not len(pairs):
        return np.zeros(0), np.zeros(0, dtype=bool)
    table = np.asarray([(p[0], p[1]) for p in pairs], dtype=float)
    return np.clip(table[:, 0], 0.0, 1.0), table[:, 1] > 0.5


def nominal_alpha(value_counts: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) of a units × values matrix of answer counts.

    Only units with two answers or more can be paired, so the others are dropped first. None where alpha is
    undefined: no unit with two answers, or a single value in all of them (no expected disagreement, 0/0).
    """
    counts = np.asarray(value_counts, dtype=float)
    if counts.ndim != 2 or counts.shape[1] < 2:
        return None
    counts = counts[counts.sum(axis=1) >= 2]
    if not len(counts) or np.count_nonzero(counts.sum(axis=0)) < 2:
        return None
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))


def per_class_alpha(value_counts: np.ndarray, chosen_counts: np.ndarray) -> list[float | None]:
    """Alpha of the binary coding "chose class c or not", one per column of `chosen_counts` (units ×
    classes: how many of a unit's answers chose c). `value_counts` gives each unit's number of answers."""
    answers = np.asarray(value_counts, dtype=float).sum(axis=1)
    chosen = np.asarray(chosen_counts, dtype=float)
    return [nominal_alpha(np.column_stack([answers - chosen[:, c], chosen[:, c]])) for c in range(chosen.shape[1])]
