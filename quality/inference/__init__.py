"""Truth inference: from workers' answers to a label, a calibrated confidence and worker quality.

Plain functions on numpy arrays; nothing here imports Django, so it is tested and benchmarked alone
(tests/quality/test_inference.py, bench/truth_inference.py). Every method in METHODS has the signature

    method(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *,
           known_truth=None, worker_weights=None) -> InferenceResult

known_truth: {task_idx: class_idx} or an array with -1 for unknown (gold answers, reviewer decisions);
those tasks are clamped to their class and also teach the methods how each worker errs.
worker_weights: W_i per worker; weighted_vote counts votes by it, the EM methods start from it.
Ties between classes: the class answered less often overall, then the lower index (posterior.py).

The methods give each model's raw posterior. `infer` (what the platform and `manage.py infer_truth` call)
gives the honest one: calibration.py tempers it for correlated errors, fitted on the known truth; "auto",
the default, also chooses the model by that evidence (selection.py).
"""
from dataclasses import replace

from . import dawid_skene, glad, mace, mace_dawid_skene, majority, one_coin, selection
from .calibration import (PreviousFit, default_correlation, infer_calibrated, infer_with_previous_fit,
                          known_evidence)
from .encoding import EncodedAnswers, encode_answers
from .posterior import InferenceResult, known_truth_vector
from .spans import SpanConsensus, aggregate_spans, span_f1

# Modules are imported whole so that quality.inference.dawid_skene stays the module, not the function.
METHODS = {
    "majority_vote": majority.majority_vote,
    "weighted_vote": majority.weighted_vote,
    "one_coin": one_coin.one_coin,
    "dawid_skene": dawid_skene.dawid_skene,
    "glad": glad.glad,
    "mace": mace.mace,
    "mace_dawid_skene": mace_dawid_skene.mace_dawid_skene,
    "auto": selection.auto,
}
DEFAULT_METHOD = "auto"


def infer(encoded: EncodedAnswers, method: str = DEFAULT_METHOD, *, known_truth=None,
          worker_weights=None, previous: PreviousFit | None = None) -> InferenceResult:
    """Run a method by name on encoded answers and make its confidence honest; result.calibration says how
    (ρ, fitted on known truth or the default, the model chosen). known_truth as for the methods (indices,
    not ids: encoded.known_truth({task_id: label}) converts). previous: the project's last fit, reused
    while the known truth has not grown much (PreviousFit)."""
    if method == "auto":
        return selection.auto(*encoded.arrays(), known_truth=known_truth, worker_weights=worker_weights,
                              previous=previous)
    known = known_truth_vector(known_truth, encoded.n_tasks, encoded.n_classes)
    if previous is not None and previous.method == method and previous.still_fits(*known_evidence(encoded.task_idx, known)):
        result, calibration = infer_with_previous_fit(METHODS[method], previous, *encoded.arrays(),
                                                      known_truth=known_truth, worker_weights=worker_weights)
        return replace(result, calibration=calibration)
    result, calibration = infer_calibrated(METHODS[method], *encoded.arrays(), known_truth=known_truth,
                                           worker_weights=worker_weights,
                                           default_correlation=default_correlation(method))
    return replace(result, calibration=replace(calibration, method=method))


__all__ = ["METHODS", "DEFAULT_METHOD", "infer", "PreviousFit", "encode_answers", "EncodedAnswers", "InferenceResult",
           "aggregate_spans", "SpanConsensus", "span_f1"]
