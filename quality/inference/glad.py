"""GLAD (Whitehill et al., NIPS 2009): worker ability α_w and task easiness β_t = exp(b_t) > 0.

    P(answer right | w, t) = σ(α_w β_t),   a wrong answer spread evenly over the other K - 1 classes

so an easy task (large β) is answered right by everyone able, a hard one (β → 0) is a coin toss even
for experts, and α_w < 0 marks a worker who is worse than chance. The M-step maximises

    Q = Σ_a [p_a log σ(x_a) + (1 - p_a) log(1 - σ(x_a))] - Σ_w (α_w - 1)²/2 - Σ_t b_t²/2,
    x_a = α_w β_t,   p_a = T[t_a, l_a]

with a few diagonal Newton steps (Gauss-Newton curvature, steps capped at MAX_STEP): closed forms do not
exist, and full gradient ascent is what makes the reference implementation take minutes. The Gaussian
priors (ability 1, easiness 1) keep workers and tasks seen once near "ordinary". Like one_coin, errors are
symmetric, so the class prior stays uniform (a learned one runs away on sparse many-class data).
Within a point of crowd-kit's GLAD on six of the seven bench data sets and ~100x faster; on S_Rel (four
relevance grades, workers biased towards some grades) symmetric errors are the wrong model and both
GLADs fall far behind Dawid-Skene.
"""
import numpy as np

from .dawid_skene import initial_posterior
from .em import expectation_maximisation
from .layout import AnswerLayout
from .posterior import class_preference, finish, known_truth_vector

NEWTON_STEPS = 2
MAX_STEP = 1.0


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # tanh form never overflows


def _newton(gradient, curvature, values, prior_mean):
    """One capped Newton step on each parameter, with its unit-variance Gaussian prior added."""
    step = (gradient - (values - prior_mean)) / (curvature + 1.0)
    return values + np.clip(step, -MAX_STEP, MAX_STEP)


def ability_and_easiness(layout: AnswerLayout, posterior, previous) -> tuple:
    """M-step: alternate Newton steps on α (workers) and b (tasks), starting from the previous values."""
    ability, log_easiness = previous
    right = layout.posterior_of_answers(posterior)
    for _ in range(NEWTON_STEPS):
        easiness = np.exp(np.take(log_easiness, layout.task_idx))
        fit = _sigmoid(np.take(ability, layout.worker_idx) * easiness)
        weight = fit * (1.0 - fit)
        ability = _newton(np.bincount(layout.worker_idx, (right - fit) * easiness, layout.n_workers),
                          np.bincount(layout.worker_idx, weight * easiness ** 2, layout.n_workers), ability, 1.0)
        slope = np.take(ability, layout.worker_idx) * easiness  # ∂x/∂b
        fit = _sigmoid(slope)
        weight = fit * (1.0 - fit)
        log_easiness = _newton(np.bincount(layout.task_idx, (right - fit) * slope, layout.n_tasks),
                               np.bincount(layout.task_idx, weight * slope ** 2, layout.n_tasks), log_easiness, 0.0)
    return ability, log_easiness


def glad_log_likelihood(layout: AnswerLayout, parameters) -> np.ndarray:
    """L[a, k] = log σ(x_a) if k is the answered label, log((1 - σ(x_a)) / (K - 1)) otherwise."""
    ability, log_easiness = parameters
    x = np.take(ability, layout.worker_idx) * np.exp(np.take(log_easiness, layout.task_idx))
    right = np.clip(_sigmoid(x), 1e-12, 1.0 - 1e-12)
    log_likelihood = np.repeat(np.log((1.0 - right) / max(layout.n_classes - 1, 1))[:, None],
                               layout.n_classes, axis=1)
    log_likelihood[np.arange(len(x)), layout.label_idx] = np.log(right)
    return log_likelihood


def glad(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
         worker_weights=None, max_iterations=100, tolerance=1e-4):
    """EM from (weighted) vote shares; worker_quality = σ(α_w), the chance of being right on a task of
    ordinary easiness (β = 1)."""
    layout = AnswerLayout.build(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    parameters = [(np.ones(n_workers), np.zeros(n_tasks))]

    def estimate_workers(posterior):
        parameters[0] = ability_and_easiness(layout, posterior, parameters[0])
        return parameters[0]

    fit = expectation_maximisation(
        layout, initial_posterior(layout, known, worker_weights), known, estimate_workers,
        lambda current: glad_log_likelihood(layout, current),
        max_iterations=max_iterations, tolerance=tolerance, learn_class_prior=False)
    return finish(fit.posterior, known, class_preference(layout.label_idx, n_classes),
                  worker_quality=_sigmoid(fit.workers[0]), iterations=fit.iterations,
                  log_evidence=fit.log_evidence, class_prior=fit.prior)
