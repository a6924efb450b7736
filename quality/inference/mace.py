"""MACE (Hovy et al., NAACL 2013): each worker either knows the answer or spams.

With probability θ_w the worker copies the truth; otherwise they draw a label from their own spam
distribution ξ_w (a spammer who always clicks "yes" has ξ_w["yes"] ≈ 1). So

    P(answer l | true k, worker w) = θ_w [l = k] + (1 - θ_w) ξ_w[l]

M-step from the expected "knew it" share of each answer, r_a = T[t_a, l_a] θ / (θ + (1 - θ) ξ_w[l_a]):
    θ_w = (Σ_a r_a + a) / (n_w + a + b),    ξ_w[l] = (Σ_{a: l_a = l} (1 - r_a) + c) / (Σ_a (1 - r_a) + K c)
Beta(a, b) = (2, 1) leans a new worker towards "knows"; c = 1 keeps every spam label possible.
"""
import numpy as np

from .dawid_skene import initial_posterior
from .em import expectation_maximisation
from .layout import AnswerLayout
from .posterior import class_preference, finish, known_truth_vector

PRIOR_KNOWS = 2.0
PRIOR_SPAMS = 1.0
SPAM_SMOOTHING = 1.0


def worker_competence_and_spam(layout: AnswerLayout, posterior, previous) -> tuple:
    """One M-step; r_a needs the previous (θ, ξ), so they come in and the new pair goes out."""
    competence, spam = previous
    theta = np.take(competence, layout.worker_idx)
    spam_of_answer = np.take(spam.ravel(), layout.cell)
    knew = layout.posterior_of_answers(posterior) * theta / (theta + (1.0 - theta) * spam_of_answer)
    answered = np.bincount(layout.worker_idx, minlength=layout.n_workers)
    knew_by_worker = np.bincount(layout.worker_idx, weights=knew, minlength=layout.n_workers)
    spammed = np.bincount(layout.cell, weights=1.0 - knew, minlength=layout.n_workers * layout.n_classes)
    spammed = spammed.reshape(layout.n_workers, layout.n_classes) + SPAM_SMOOTHING
    return ((knew_by_worker + PRIOR_KNOWS) / (answered + PRIOR_KNOWS + PRIOR_SPAMS),
            spammed / spammed.sum(axis=1, keepdims=True))


def mace_log_likelihood(layout: AnswerLayout, workers) -> np.ndarray:
    """L[a, k] = log((1 - θ) ξ[l_a]) for k ≠ l_a, and log(θ + (1 - θ) ξ[l_a]) for k = l_a."""
    competence, spam = workers
    theta = np.take(competence, layout.worker_idx)
    spam_of_answer = np.take(spam.ravel(), layout.cell)
    log_likelihood = np.repeat(np.log((1.0 - theta) * spam_of_answer)[:, None], layout.n_classes, axis=1)
    log_likelihood[np.arange(len(theta)), layout.label_idx] = np.log(theta + (1.0 - theta) * spam_of_answer)
    return log_likelihood


def mace(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
         worker_weights=None, max_iterations=100, tolerance=1e-4):
    """EM from (weighted) vote shares, workers starting at θ = 0.5 with uniform spam; quality is θ_w."""
    layout = AnswerLayout.build(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    workers = [(np.full(n_workers, 0.5), np.full((n_workers, n_classes), 1.0 / n_classes))]

    def estimate_workers(posterior):
        workers[0] = worker_competence_and_spam(layout, posterior, workers[0])
        return workers[0]

    fit = expectation_maximisation(
        layout, initial_posterior(layout, known, worker_weights), known, estimate_workers,
        lambda current: mace_log_likelihood(layout, current),
        max_iterations=max_iterations, tolerance=tolerance)
    return finish(fit.posterior, known, class_preference(layout.label_idx, n_classes),
                  worker_quality=fit.workers[0], iterations=fit.iterations, log_evidence=fit.log_evidence,
                  class_prior=fit.prior)
