"""The model a project's answers support, chosen by the project's own evidence (the default method, "auto").

Candidates, simplest first: one_coin (one accuracy per worker), MACE (knows-or-spams: accuracy plus a spam
distribution), MACE-regularised Dawid-Skene (a full confusion matrix per worker, shrunk towards that worker's
MACE fit, so a worker seen a few times is scored like MACE and one seen hundreds of times like Dawid-Skene),
and plain Dawid-Skene (full confusion matrices, shrunk only towards the crowd's pooled matrix).

Evidence: with MIN_KNOWN_TRUTH or more known items (gold answers, reviewer decisions), each candidate is
calibrated (calibration.py) and scored by the log-likelihood of the known labels under its honest posterior
computed without them (out of fold): that rewards both accuracy on known truth and honest confidence. The
hierarchical candidate (MACE-Dawid-Skene, which already adapts its complexity to each worker's volume of
answers) is kept unless another beats it by more than twice the standard error of the paired per-item
difference: a few dozen gold items must not swing the choice on noise. With less known truth the
hierarchical candidate is used: on the seven public crowds it is never more than 0.3 points behind the best
of crowd-kit's methods (bench/truth_inference.py), and it needs no evidence to shrink sparse workers.
"""
from dataclasses import replace

import numpy as np

from . import dawid_skene, mace, mace_dawid_skene, one_coin
from .calibration import (MIN_KNOWN_TRUTH, Calibration, PreviousFit, default_correlation, infer_calibrated,
                          infer_with_previous_fit, known_evidence)
from .posterior import InferenceResult, known_truth_vector

CANDIDATES = {
    "one_coin": one_coin.one_coin,
    "mace": mace.mace,
    "mace_dawid_skene": mace_dawid_skene.mace_dawid_skene,
    "dawid_skene": dawid_skene.dawid_skene,
}
FALLBACK = "mace_dawid_skene"
STANDARD_ERRORS = 2.0


def infer_auto(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
               worker_weights=None, default_correlations=None, seed=0,
               previous: PreviousFit | None = None) -> tuple[InferenceResult, Calibration]:
    """(honest result, its calibration with .method = the chosen candidate and .model_evidence per candidate).
    previous: the project's last fit, reused (one run of its model) while it still fits the known truth."""
    arrays = (task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    if previous is not None and previous.method in CANDIDATES and previous.still_fits(*known_evidence(task_idx, known)):
        return infer_with_previous_fit(CANDIDATES[previous.method], previous, *arrays, known_truth=known,
                                       worker_weights=worker_weights)
    defaults = default_correlations or {}
    names = list(CANDIDATES) if np.count_nonzero(known >= 0) >= MIN_KNOWN_TRUTH else [FALLBACK]
    fits = {name: infer_calibrated(CANDIDATES[name], *arrays, known_truth=known, worker_weights=worker_weights,
                                   default_correlation=defaults.get(name, default_correlation(name)), seed=seed)
            for name in names}
    chosen = _chosen(fits)
    evidence = {name: round(float(cal.holdout_log_likelihood.mean()), 5)
                for name, (_, cal) in fits.items() if len(cal.holdout_log_likelihood)}
    result, calibration = fits[chosen]
    return result, replace(calibration, method=chosen, model_evidence=evidence)


def auto(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
         worker_weights=None, previous: PreviousFit | None = None) -> InferenceResult:
    """METHODS' signature (plus `previous`): the honest result of infer_auto, its calibration attached."""
    result, calibration = infer_auto(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes,
                                     known_truth=known_truth, worker_weights=worker_weights, previous=previous)
    return replace(result, calibration=calibration)


def _chosen(fits: dict) -> str:
    """The candidate with the best held-out log-likelihood, if it beats FALLBACK beyond noise."""
    if len(fits) == 1:
        return next(iter(fits))
    base = fits[FALLBACK][1].holdout_log_likelihood
    best, best_gain = FALLBACK, 0.0
    for name, (_, cal) in fits.items():
        difference = cal.holdout_log_likelihood - base
        gain, error = difference.mean(), difference.std(ddof=1) / np.sqrt(len(difference))
        if gain > STANDARD_ERRORS * error and gain > best_gain:
            best, best_gain = name, gain
    return best

