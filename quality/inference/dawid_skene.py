"""Dawid-Skene (1979): every worker has a confusion matrix, learned by EM together with the true labels.

worker_confusion[w, k, l] = P(worker w answers l | true class k). M-step with a Dirichlet prior per row:

    confusion[w, k, l] = (n_wkl + α_wkl) / Σ_l (n_wkl + α_wkl),   n_wkl = Σ_{a by w, label l} T[t_a, k]
    α_wkl = smoothing + pooled_strength · pooled[k, l] + worker_prior[w, k, l]

pooled is the confusion matrix of all workers taken together: plain Dawid-Skene starts every worker as
"a typical worker of this crowd" worth POOLED_STRENGTH answers per true class (empirical Bayes), so a
worker seen once still counts (with a uniform prior alone, EM makes a one-answer worker's row agree
with whatever the task ends up as, and their answer carries no weight). The default method
(mace_dawid_skene) instead passes a `worker_prior` built from a simpler model of the same worker.
"""
import numpy as np

from .em import expectation_maximisation
from .layout import AnswerLayout
from .majority import majority_vote, weighted_vote
from .posterior import class_preference, finish, known_truth_vector

SMOOTHING = 0.01
POOLED_STRENGTH = 2.0


def pooled_confusion(counts: np.ndarray) -> np.ndarray:
    """P(answer l | true k) over all workers' answers together."""
    pooled = counts.sum(axis=0)
    return pooled / np.maximum(pooled.sum(axis=1, keepdims=True), 1e-300)


def confusion_counts(layout: AnswerLayout, posterior, *, smoothing=SMOOTHING, pooled_strength=0.0,
                     worker_prior=None) -> np.ndarray:
    """n_wkl + α_wkl, shaped [worker, true class k, answered label l]."""
    counts = layout.sum_by_cell(layout.rows_for_answers(posterior)).transpose(0, 2, 1)
    prior = smoothing + (pooled_strength * pooled_confusion(counts) if pooled_strength else 0.0)
    return counts + prior if worker_prior is None else counts + prior + worker_prior


def confusion_log_likelihood(layout: AnswerLayout, counts: np.ndarray) -> np.ndarray:
    """L[a, k] = log confusion[worker_a, k, label_a]: a (worker, label) × k table, one row per answer."""
    log_confusion = np.log(counts / counts.sum(axis=2, keepdims=True))
    by_cell = log_confusion.transpose(0, 2, 1).reshape(layout.n_workers * layout.n_classes, layout.n_classes)
    return np.take(by_cell, layout.cell, axis=0)


def initial_posterior(layout: AnswerLayout, known, worker_weights=None) -> np.ndarray:
    """Vote shares: weighted by W_i when the caller knows weights, else plain majority shares."""
    voting = majority_vote if worker_weights is None else weighted_vote
    return voting(layout.task_idx, layout.worker_idx, layout.label_idx, layout.n_tasks, layout.n_workers,
                  layout.n_classes, known_truth=known, worker_weights=worker_weights).posterior


def dawid_skene(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
                worker_weights=None, smoothing=SMOOTHING, pooled_strength=POOLED_STRENGTH, initial=None,
                max_iterations=100, tolerance=1e-4):
    """EM from (weighted) vote shares, or from `initial` posteriors; known truth is clamped throughout
    and so also teaches each worker's confusion. worker_quality[w] = Σ_k π_k confusion[w, k, k]."""
    layout = AnswerLayout.build(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    if initial is None:
        initial = initial_posterior(layout, known, worker_weights)
    fit = expectation_maximisation(
        layout, initial, known,
        lambda post: confusion_counts(layout, post, smoothing=smoothing, pooled_strength=pooled_strength),
        lambda counts: confusion_log_likelihood(layout, counts),
        max_iterations=max_iterations, tolerance=tolerance)
    return confusion_result(layout, fit, known)


def confusion_result(layout: AnswerLayout, fit, known):
    """worker_quality[w] = Σ_k π_k confusion[w, k, k]: the chance the worker is right on a random task."""
    confusion = fit.workers / fit.workers.sum(axis=2, keepdims=True)
    return finish(fit.posterior, known, class_preference(layout.label_idx, layout.n_classes),
                  worker_quality=np.einsum("k,wkk->w", fit.prior, confusion), worker_confusion=confusion,
                  iterations=fit.iterations, log_evidence=fit.log_evidence, class_prior=fit.prior)
