"""One-coin model: each worker has a single accuracy p_w; a wrong answer is spread evenly over the others.

    P(answer l | true k, worker w) = p_w if l = k, else (1 - p_w) / (K - 1)
    M-step:  p_w = (Σ_{a by w} T[t_a, l_a] + a) / (n_w + a + b)      (Beta(a, b) prior)

One number per worker instead of a K×K matrix: steadier than Dawid-Skene on sparse workers, blind to a
worker's systematic confusions (always "4" for "5"). The Beta prior, a 2:1 lean towards "right", keeps a
worker seen once from getting p = 0 or 1. The class prior stays uniform: learned, it runs away on sparse
many-class data (on S_Rel one class swallows the others and accuracy falls to 25%), because the model
has no other way to explain a crowd that over-uses a class.
"""
import numpy as np

from .dawid_skene import initial_posterior
from .em import expectation_maximisation
from .layout import AnswerLayout
from .posterior import class_preference, finish, known_truth_vector

PRIOR_CORRECT = 2.0
PRIOR_WRONG = 1.0


def worker_accuracy(layout: AnswerLayout, posterior, *, prior_correct=PRIOR_CORRECT,
                    prior_wrong=PRIOR_WRONG) -> np.ndarray:
    """p_w: expected share of the worker's answers that match the truth, Beta-smoothed."""
    right = layout.posterior_of_answers(posterior)
    expected_right = np.bincount(layout.worker_idx, weights=right, minlength=layout.n_workers)
    answered = np.bincount(layout.worker_idx, minlength=layout.n_workers)
    return (expected_right + prior_correct) / (answered + prior_correct + prior_wrong)


def one_coin_log_likelihood(layout: AnswerLayout, accuracy: np.ndarray) -> np.ndarray:
    """L[a, k] = log p_w when k is the answered label, log((1 - p_w)/(K - 1)) otherwise."""
    p = np.take(accuracy, layout.worker_idx)
    wrong = np.log((1.0 - p) / max(layout.n_classes - 1, 1))
    log_likelihood = np.repeat(wrong[:, None], layout.n_classes, axis=1)
    log_likelihood[np.arange(len(p)), layout.label_idx] = np.log(p)
    return log_likelihood


def one_coin(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *, known_truth=None,
             worker_weights=None, prior_correct=PRIOR_CORRECT, prior_wrong=PRIOR_WRONG, max_iterations=100,
             tolerance=1e-4):
    """EM from (weighted) vote shares; worker_quality is p_w."""
    layout = AnswerLayout.build(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    fit = expectation_maximisation(
        layout, initial_posterior(layout, known, worker_weights), known,
        lambda post: worker_accuracy(layout, post, prior_correct=prior_correct, prior_wrong=prior_wrong),
        lambda accuracy: one_coin_log_likelihood(layout, accuracy),
        max_iterations=max_iterations, tolerance=tolerance, learn_class_prior=False)
    return finish(fit.posterior, known, class_preference(layout.label_idx, n_classes), worker_quality=fit.workers,
                  iterations=fit.iterations, log_evidence=fit.log_evidence, class_prior=fit.prior)
