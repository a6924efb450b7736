"""The expectation-maximisation loop shared by Dawid-Skene, one-coin, GLAD and MACE.

Each method supplies two functions over the posterior T[t, k] = P(true class of task t = k):
  estimate_workers(T) -> worker parameters      (M-step)
  answer_log_likelihood(params) -> L[a, k]      (log P(answer a | true class k, its worker))
and the loop alternates
  T[t, k] ∝ π_k · Π_{answers a of t} exp(L[a, k]),   π_k = (Σ_t T[t, k] + c) / (n_tasks + K·c)
with known truth clamped after every step, until the posteriors move by less than `tolerance` on average
(mean |ΔT| over all tasks and classes), or `max_iterations`. The mean, not the maximum: on large sparse
data a handful of tasks answered by one-off workers keep drifting for hundreds of iterations while no
label changes, and waiting for them doubles the time for nothing.
The class prior π has a Dirichlet(c) smoothing so a class nobody chose keeps a small, nonzero prior.
"""
from typing import NamedTuple

import numpy as np

from .layout import AnswerLayout
from .posterior import clamp_known, row_max, row_sum

CLASS_PRIOR_COUNT = 1.0


class EMFit(NamedTuple):
    posterior: np.ndarray
    workers: object
    prior: np.ndarray
    iterations: int
    log_evidence: np.ndarray


def class_prior(posterior: np.ndarray, prior_count: float = CLASS_PRIOR_COUNT) -> np.ndarray:
    """π_k from the current posterior (known truth included), Dirichlet-smoothed."""
    n_tasks, n_classes = posterior.shape
    return (posterior.sum(axis=0) + prior_count) / (n_tasks + n_classes * prior_count)


def posterior_from_log_scores(log_scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, in place: subtracting the row maximum keeps exp() from overflowing."""
    log_scores -= row_max(log_scores)[:, None]
    np.exp(log_scores, out=log_scores)
    log_scores /= row_sum(log_scores)[:, None]
    return log_scores


def expectation_maximisation(layout: AnswerLayout, initial_posterior, known, estimate_workers,
                             answer_log_likelihood, *, max_iterations=100, tolerance=1e-4,
                             learn_class_prior=True):
    """Run the loop above; returns an EMFit (posterior, worker parameters, class prior, iterations run,
    and the last step's log evidence E[t, k] = Σ_{answers a of t} L[a, k], which calibration.py tempers).

    learn_class_prior=False keeps π uniform, for models whose learned π can run away (see one_coin).
    """
    posterior = clamp_known(np.array(initial_posterior, dtype=np.float64), known)
    uniform = np.full(layout.n_classes, 1.0 / layout.n_classes)
    workers, prior, iteration, log_evidence = None, uniform, 0, None
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - the count is reported after the loop
        workers = estimate_workers(posterior)
        prior = class_prior(posterior) if learn_class_prior else uniform
        log_evidence = layout.sum_by_task(answer_log_likelihood(workers))
        updated = clamp_known(posterior_from_log_scores(log_evidence + np.log(prior)), known)
        moved = float(np.abs(updated - posterior).mean())
        posterior = updated
        if moved < tolerance:
            break
    return EMFit(posterior, workers, prior, iteration, log_evidence)
