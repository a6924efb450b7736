"""Honest confidence: the posterior of an EM method, tempered for workers whose errors go together.

Why the raw posterior is overconfident on real crowds. Every EM method here multiplies its answers'
likelihoods as if each worker erred independently given the true class. Real workers do not: a hard item
fools many of them the same way (a dog breed that looks like another, a borderline relevance grade), and
workers copy or share biases. On the bench crowds, two answers to the same item are both wrong far more
often than independent errors would allow (bench/calibration.py prints the ratio P(both wrong) / P(wrong)²
per data set: 1.6 to 4.4, where independence means 1). So ten answers carry the evidence of far fewer.

The correction is the survey statistician's design effect. With n answers whose errors correlate by ρ, the
effective number of independent answers is n / (1 + (n - 1)ρ), so the task's log posterior is divided by

    d_t = τ (1 + (n_t - 1) ρ):        P'(k | answers of t) ∝ exp((E[t, k] + log π_k) / d_t)

(E = Σ_answers log P(answer | k), π = class prior). With ρ = 0 and τ = 1 nothing changes, ρ never changes a
task with one answer, and a task's best class stays its best class (labels and accuracy are the method's
own; only the confidence moves). A per-task divisor, unlike one global temperature, carries
over between crowds that collect 3 answers per item and crowds that collect 20.

A second number, τ (trust), divides every task's log posterior alike: the model's worker accuracies can be
too high as well (workers who copy each other agree always, and EM reads agreement as accuracy), which no
count of answers explains. τ = 1 trusts them as fitted.

A third, ε (lapse), is for the items on which the answers mislead together: a breed that most workers take
for another, so that the item's answers agree, the model is sure, and the label is wrong. Neither ρ nor τ
can single those out (both lower every confidence alike, the lower ones too); on such a crowd, the items
the model is surest of are right less often than it says, however many answers they have. So the tempered
posterior is mixed with the class prior, (1 - ε) P' + ε π: no confidence exceeds about 1 - ε. ε = 0 (its
prior's most likely value, LAPSE_LOG_PRIOR) keeps the posterior as it is; known truth that holds confidently
wrong items raises it.

ρ, τ and ε are fitted per project on its known truth (gold answers, reviewer decisions): each known item's
posterior is computed WITHOUT its truth (k-fold: the method is re-run with one fold of known truth hidden)
and from groups of its answers as large as the other items' (gold gathers ten answers where adaptive overlap
decides on three: _answer_groups),
and (ρ, τ, ε) get a posterior over a grid from the likelihood of the known labels under the tempered
posterior and Gaussian priors on logit ρ (centred on the method's default ρ, sd PRIOR_SD) and on log τ
(centred on 1, sd TEMPERATURE_PRIOR_SD). Every task's confidence is then averaged over that posterior (the
posterior predictive), so a few dozen gold items move it only as far as they are evidence for, and where
they cannot tell a small ρ from a large one, the confidence reflects both. With too little known truth for folds, the default ρ and τ = 1 are used. The default ρ was
learned on the real crowds of ../shared/datasets/crowd as the one ρ that best fits all of them together,
each data set weighing the same (bench/calibration.py --fit-default prints it; its leave-one-dataset-out
version is what the bench scores "no gold" with, so the figure printed is that of a crowd the default never
saw).

Plain numpy, no Django (ARCHITECTURE.md).
"""
from dataclasses import dataclass, field, replace

import numpy as np

from .posterior import InferenceResult, clamp_known, known_truth_vector

# Per method (their evidence scales differ), fitted on all seven crowds of ../shared/datasets/crowd with no
# known truth: bench/calibration.py --fit-default. A method not listed gets FALLBACK_CORRELATION.
DEFAULT_CORRELATIONS = {"mace_dawid_skene": 0.32, "dawid_skene": 0.345, "mace": 0.325, "one_coin": 0.34,
                        "glad": 0.51}
FALLBACK_CORRELATION = 0.35
DEFAULT_CORRELATION = DEFAULT_CORRELATIONS["mace_dawid_skene"]
PRIOR_SD = 1.0                 # of logit ρ: a 95% prior range of about 0.1 to 0.8 around 0.35
MIN_KNOWN_TRUTH = 10           # fewer known items than this: the default ρ, no folds
REFIT_GROWTH = 0.1             # a previous fit is reused until the known truth or its answers grow by 10% ...
REFIT_ITEMS = 50               # ... or the known truth by this many items (PreviousFit)
FOLDS = 5
MATCH_ANSWER_COUNTS = True     # known tasks held out in groups of as many answers as the others have (_answer_groups)
MAX_GROUPS = 4                 # ... at most this many read per known task
CORRELATION_GRID = np.concatenate([[0.0], np.linspace(0.01, 0.95, 95)])  # ρ candidates; 0 = independent answers
TEMPERATURE_GRID = np.exp(np.linspace(np.log(0.25), np.log(16.0), 25))  # τ candidates; holds 1 exactly
KEEP_WEIGHT = 1e-3             # grid points less likely than this (relative to the best) are left out
MAX_POINTS = 200
TEMPERATURE_PRIOR_SD = 0.5     # of log τ: τ = 2 is 1.4 standard deviations away
# ε candidates (lapse: the share of items on which the answers mislead together, see tempered_posterior) and
# their prior: half on ε = 0 (no such items), half spread evenly over the others, so known truth must show the
# confidently wrong items before the confidence is capped, and a few of them are enough.
LAPSE_GRID = np.array([0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16])
LAPSE_LOG_PRIOR = np.log(np.concatenate([[0.5], np.full(len(LAPSE_GRID) - 1, 0.5 / (len(LAPSE_GRID) - 1))]))


@dataclass(frozen=True)
class Calibration:
    """How a result's confidence was made honest.

    source: "known_truth" (ρ fitted on the project's known items), "default" (too few known items), or
    "none" (a voting method: its confidence is a vote share, not a posterior, and is left as it is).
    holdout_confidence / holdout_correct: for each known item, the confidence and correctness its label had
    when inference did not know its truth (out of fold), tempered with the final ρ: a reliability diagram's
    and an accuracy estimate's evidence. Empty with fewer than MIN_KNOWN_TRUTH known items.
    """

    correlation: float
    source: str
    known_truth: int
    holdout_confidence: np.ndarray
    holdout_correct: np.ndarray
    holdout_log_likelihood: np.ndarray = field(default_factory=lambda: np.zeros(0))
    temperature: float = 1.0
    holdout_tasks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    method: str = ""
    model_evidence: dict = field(default_factory=dict)
    points: tuple = ()        # [(ρ, τ, ε, weight)]: the calibration posterior the confidences were averaged over
    reused: bool = False      # True: a previous fit's model and points, applied to today's answers
    lapse: float = 0.0        # ε: the share of items whose answers mislead together (posterior mean)
    known_answers: int = 0    # the answers to the known items the fit read (PreviousFit.known_answers)


@dataclass(frozen=True)
class PreviousFit:
    """A project's last full calibration (its model, points, and the known truth it was fitted on: items and
    their answers).

    Fitting costs FOLDS + 1 runs of each candidate model; a project is evaluated every few seconds while
    answers arrive. The fit is reused while neither the known items nor their answers have grown by
    REFIT_GROWTH (nor the items by REFIT_ITEMS): the calibration depends on the crowd, which a handful of new
    answers does not change, while new known truth is new evidence about it. The answers count as well as
    the items: gold is imported whole, so a project's known items are all there from its first answers,
    while what they say about the crowd (their answers) keeps growing; counted by items alone, the fit made
    when each gold item had one or two answers was reused for the project's whole life (bench/replay.py).
    """

    method: str
    points: tuple
    known_truth: int
    known_answers: int = 0

    def still_fits(self, known_truth: int, known_answers: int = 0) -> bool:
        if (not self.points or self.known_truth < MIN_KNOWN_TRUTH or known_truth < self.known_truth
                or known_answers < self.known_answers):
            return False
        grown, answers_grown = known_truth - self.known_truth, known_answers - self.known_answers
        return (grown < REFIT_ITEMS and grown < REFIT_GROWTH * self.known_truth
                and answers_grown < REFIT_GROWTH * self.known_answers)


def known_evidence(task_idx, known) -> tuple[int, int]:
    """(known items, their answers): what PreviousFit.still_fits compares. `known` as known_truth_vector."""
    known = np.asarray(known)
    answers = np.bincount(np.asarray(task_idx, dtype=np.int64), minlength=len(known))[:len(known)]
    return int((known >= 0).sum()), int(answers[known >= 0].sum())


def tempered_posterior(log_evidence, class_prior, answers_per_task, correlation: float,
                       temperature: float = 1.0, lapse: float = 0.0) -> np.ndarray:
    """(1 - ε) P'(k | t) + ε π_k, where P'(k | t) ∝ exp((E[t, k] + log π_k) / (τ (1 + (n_t - 1) ρ))): see the
    module docstring; ε (lapse) is the share of items whose answers say nothing true about them."""
    log_scores = np.asarray(log_evidence, dtype=np.float64) + np.log(np.clip(class_prior, 1e-300, None))
    divisor = temperature * (1.0 + np.maximum(np.asarray(answers_per_task, dtype=np.float64) - 1.0, 0.0) * correlation)
    log_scores = log_scores / divisor[:, None]
    log_scores -= log_scores.max(axis=1, keepdims=True)
    posterior = np.exp(log_scores)
    posterior /= posterior.sum(axis=1, keepdims=True)
    if lapse:
        posterior = (1.0 - lapse) * posterior + lapse * np.broadcast_to(class_prior, posterior.shape)
    return posterior


def point_parts(point) -> tuple[float, float, float, float]:
    """(ρ, τ, ε, weight) of a calibration point; points stored before the lapse existed are (ρ, τ, weight)."""
    if len(point) == 3:
        return point[0], point[1], 0.0, point[2]
    return tuple(point)


def calibrated(result: InferenceResult, answers_per_task, calibration_points, known=None) -> InferenceResult:
    """The result with its posterior tempered, averaged over `calibration_points` [(ρ, τ, weight)]; labels
    unchanged, known truth clamped, confidence in [0, 1]."""
    if result.log_evidence is None:
        return result
    posterior = averaged_posterior(result.log_evidence, result.class_prior, answers_per_task, calibration_points)
    if known is not None:
        clamp_known(posterior, known)
    confidence = np.clip(posterior[np.arange(len(result.labels)), result.labels], 0.0, 1.0)
    return replace(result, posterior=posterior, confidence=confidence)


def averaged_posterior(log_evidence, class_prior, answers_per_task, calibration_points) -> np.ndarray:
    """Σ_g w_g P'(k | t; ρ_g, τ_g): the posterior predictive over the calibration's own uncertainty."""
    total, weights = None, 0.0
    for point in calibration_points:
        correlation, temperature, lapse, weight = point_parts(point)
        part = weight * tempered_posterior(log_evidence, class_prior, answers_per_task, correlation, temperature,
                                           lapse)
        total = part if total is None else total + part
        weights += weight
    return total / weights


def calibration_posterior(log_evidence, class_prior, answers_per_task, truth, *, prior_mean=DEFAULT_CORRELATION,
                          prior_sd=None, weights=None) -> list[tuple[float, float, float, float]]:
    """[(ρ, τ, ε, weight)]: the grid points' posterior weights, p(ρ, τ, ε | known labels) ∝ Π_t P'(truth_t | t)
    · N(logit ρ; logit prior_mean, prior_sd) · N(log τ; 0, TEMPERATURE_PRIOR_SD) · prior(ε) (LAPSE_LOG_PRIOR),
    keeping the points within a factor KEEP_WEIGHT of the best (at most MAX_POINTS of them).

    Averaging over them rather than taking the best point is what keeps a few dozen known items honest:
    where they cannot tell ρ = 0.3 from ρ = 0.6, the confidence reflects both. log_evidence rows must come
    from fits that did not know these tasks' truth; class_prior may be one vector or one row per task.
    prior_sd=0: no prior on ρ. weights: each row's weight in the likelihood (default 1).
    """
    surface = log_likelihood_surface(log_evidence, class_prior, answers_per_task, truth, lapses=LAPSE_GRID,
                                     weights=weights)
    prior_sd = PRIOR_SD if prior_sd is None else prior_sd
    if prior_sd:
        surface = surface + _log_prior(CORRELATION_GRID, prior_mean, prior_sd)[:, None, None]
    surface = surface - 0.5 * (np.log(TEMPERATURE_GRID) / TEMPERATURE_PRIOR_SD)[None, :, None] ** 2
    surface = surface + LAPSE_LOG_PRIOR[None, None, :]
    by_lapse = np.exp(surface - surface.max())
    # ε enters the posterior linearly, so each (ρ, τ) cell's ε values add up exactly to one point with their
    # mean ε: keeping the best cells then keeps the whole ε posterior (keeping the best (ρ, τ, ε) triples
    # would keep only the most likely ε, whatever the known truth says about the others).
    cells = by_lapse.sum(axis=2)
    lapse_means = np.divide((by_lapse * LAPSE_GRID[None, None, :]).sum(axis=2), cells, out=np.zeros_like(cells),
                            where=cells > 0)
    weights = (cells / cells.max()).ravel()
    kept = np.argsort(weights)[::-1][:MAX_POINTS]
    kept = kept[weights[kept] >= KEEP_WEIGHT]
    rows, columns = np.unravel_index(kept, cells.shape)
    total = weights[kept].sum()
    return [(float(CORRELATION_GRID[r]), float(TEMPERATURE_GRID[c]), float(lapse_means[r, c]),
             float(weights[k] / total)) for r, c, k in zip(rows, columns, kept)]


def log_likelihood_surface(log_evidence, class_prior, answers_per_task, truth,
                           temperatures=TEMPERATURE_GRID, lapses=(0.0,), weights=None) -> np.ndarray:
    """Σ_t w_t log P'(truth_t | t) for every (ρ, τ, ε) of CORRELATION_GRID × temperatures × lapses."""
    truth = np.asarray(truth, dtype=np.int64)
    weights = np.ones(len(truth)) if weights is None else np.asarray(weights, dtype=np.float64)
    priors = np.broadcast_to(np.asarray(class_prior, dtype=np.float64), np.shape(log_evidence))
    log_scores = np.asarray(log_evidence, dtype=np.float64) + np.log(np.clip(priors, 1e-300, None))
    prior_of_truth = np.take_along_axis(priors, truth[:, None], axis=1)[:, 0]
    answers = np.maximum(np.asarray(answers_per_task, dtype=np.float64) - 1.0, 0.0)
    divisors = ((1.0 + CORRELATION_GRID[:, None] * answers[None, :])[:, None, :]
                * np.asarray(temperatures)[None, :, None])                 # ρ × τ × tasks
    lapses = np.asarray(lapses, dtype=np.float64)
    surface = np.zeros((len(CORRELATION_GRID), len(temperatures), len(lapses)))
    for start in range(0, len(truth), 100):
        rows = slice(start, start + 100)
        scaled = log_scores[None, None, rows, :] / divisors[:, :, rows, None]
        scaled -= scaled.max(axis=3, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=3))
        picked = np.take_along_axis(scaled, truth[None, None, rows, None], axis=3)[..., 0]
        log_truth = picked - log_norm                                        # ρ × τ × tasks
        for index, lapse in enumerate(lapses):
            if lapse:
                mixed = np.logaddexp(np.log1p(-lapse) + log_truth, np.log(lapse * prior_of_truth[rows]))
                surface[:, :, index] += (mixed * weights[rows]).sum(axis=2)
            else:
                surface[:, :, index] += (log_truth * weights[rows]).sum(axis=2)
    return surface


def log_likelihood_curve(log_evidence, class_prior, answers_per_task, truth) -> np.ndarray:
    """Σ_t log P'(truth_t | t) for every ρ at τ = 1 (the no-gold default has no τ)."""
    return log_likelihood_surface(log_evidence, class_prior, answers_per_task, truth, temperatures=[1.0])[:, 0, 0]


def _log_prior(grid, mean, sd):
    logit = np.log(np.clip(grid, 1e-4, None) / (1.0 - grid))
    return -0.5 * ((logit - np.log(mean / (1.0 - mean))) / sd) ** 2


def default_correlation(method_name: str) -> float:
    return DEFAULT_CORRELATIONS.get(method_name, FALLBACK_CORRELATION)


def infer_with_previous_fit(method, previous: PreviousFit, task_idx, worker_idx, label_idx, n_tasks, n_workers,
                            n_classes, *, known_truth=None, worker_weights=None) -> tuple[InferenceResult, Calibration]:
    """One run of `method` with a previous fit's calibration points (PreviousFit.still_fits said so)."""
    arrays = (task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    result = method(*arrays, known_truth=known, worker_weights=worker_weights)
    answers_per_task = np.bincount(np.asarray(task_idx, dtype=np.int64), minlength=n_tasks)
    points = previous.points
    correlation, temperature, lapse = _posterior_means(points)
    calibration = Calibration(correlation, "known_truth", int((known >= 0).sum()), np.zeros(0), np.zeros(0, bool),
                              temperature=temperature, method=previous.method, points=tuple(points), reused=True,
                              lapse=lapse, known_answers=previous.known_answers)
    return calibrated(result, answers_per_task, points, known), calibration


def infer_calibrated(method, task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, *,
                     known_truth=None, worker_weights=None, default_correlation=DEFAULT_CORRELATION,
                     seed=0) -> tuple[InferenceResult, Calibration]:
    """Run `method` (any of METHODS) and make its confidence honest (module docstring).

    With MIN_KNOWN_TRUTH or more known items: FOLDS extra runs, each hiding one fold of the known truth,
    give every known item an out-of-fold posterior; ρ is fitted on those. Otherwise ρ = default_correlation.
    """
    arrays = (task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes)
    known = known_truth_vector(known_truth, n_tasks, n_classes)
    result = method(*arrays, known_truth=known, worker_weights=worker_weights)
    answers_per_task = np.bincount(np.asarray(task_idx, dtype=np.int64), minlength=n_tasks)
    known_tasks = np.flatnonzero(known >= 0)
    if result.log_evidence is None:
        return result, Calibration(0.0, "none", len(known_tasks), np.zeros(0), np.zeros(0, bool))
    if len(known_tasks) < MIN_KNOWN_TRUTH:
        points = [(default_correlation, 1.0, 1.0)]
        return (calibrated(result, answers_per_task, points, known),
                Calibration(default_correlation, "default", len(known_tasks), np.zeros(0), np.zeros(0, bool)))
    held = _out_of_fold(method, arrays, known, known_tasks, worker_weights, seed)
    truth = known[held.tasks]
    points = calibration_posterior(held.evidence, held.priors, held.seen, truth, prior_mean=default_correlation,
                                   weights=held.weights)
    holdout = averaged_posterior(held.evidence, held.priors, held.seen, points)
    log_likelihood = np.log(np.clip(holdout[np.arange(len(truth)), truth], 1e-12, None))
    # Per known item: its groups' mean log-likelihood (the models' paired comparison in selection), and the
    # confidence and correctness of its first group (one pair per item for the reliability diagram).
    first = np.flatnonzero(held.first)
    item_of_row = np.cumsum(held.first) - 1
    per_item = np.bincount(item_of_row, weights=log_likelihood * held.weights, minlength=len(first))
    correlation, temperature, lapse = _posterior_means(points)
    calibration = Calibration(correlation, "known_truth", len(known_tasks), holdout[first, held.labels[first]],
                              held.labels[first] == truth[first], per_item, temperature=temperature,
                              holdout_tasks=held.tasks[first], points=tuple(points), lapse=lapse,
                              known_answers=int(answers_per_task[known_tasks].sum()))
    return calibrated(result, answers_per_task, points, known), calibration


def _posterior_means(points) -> tuple[float, float, float]:
    """(ρ, τ, ε) averaged over the calibration posterior: the figures shown to people."""
    parts = np.array([point_parts(point) for point in points], dtype=np.float64)
    weights = parts[:, 3] / parts[:, 3].sum()
    return tuple(float(value) for value in weights @ parts[:, :3])


@dataclass(frozen=True)
class HeldOut:
    """Out-of-fold rows of the known tasks: one per group of a task's answers (_answer_groups). `weights` is
    1 / the task's group count, so each task weighs one in the fit; `first` marks each task's first group."""

    tasks: np.ndarray
    labels: np.ndarray
    evidence: np.ndarray
    priors: np.ndarray
    seen: np.ndarray
    weights: np.ndarray
    first: np.ndarray


def _out_of_fold(method, arrays, known, known_tasks, worker_weights, seed) -> HeldOut:
    """Each known task's posterior from the run that hid its fold's truth, seen as the items being decided
    are seen (_answer_groups)."""
    rng = np.random.default_rng(seed)
    folds = np.array_split(rng.permutation(known_tasks), min(FOLDS, len(known_tasks)))
    task_idx = np.asarray(arrays[0], dtype=np.int64)
    n_tasks = arrays[3]
    counts = np.bincount(task_idx, minlength=n_tasks)
    undecided = counts[(known < 0) & (counts > 0)]
    parts = []
    for fold in folds:
        groups = _answer_groups(task_idx, fold, counts, undecided, rng)
        regrouped = task_idx.copy()
        extra, run_tasks = n_tasks, []                           # each group's task index in the fold's run
        for task, answers, kind in groups:
            if kind == "first":
                run_tasks.append(task)
            else:
                regrouped[answers] = extra
                run_tasks.append(extra)
                extra += 1
        read = [index for index, (_, _, kind) in enumerate(groups) if kind != "rest"]
        rows = np.array(run_tasks, dtype=np.int64)[read]
        owners = np.array([groups[index][0] for index in read], dtype=np.int64)
        hidden = np.concatenate([known, np.full(extra - n_tasks, -1)])
        hidden[fold] = -1
        fit = method(regrouped, arrays[1], arrays[2], extra, *arrays[4:], known_truth=hidden,
                     worker_weights=worker_weights)
        seen = np.bincount(regrouped, minlength=extra)[rows]
        per_task = np.bincount(owners, minlength=n_tasks)[owners]
        parts.append((owners, fit.labels[rows], fit.log_evidence[rows],
                      np.broadcast_to(fit.class_prior, (len(rows), len(fit.class_prior))), seen, 1.0 / per_task,
                      np.array([groups[index][2] == "first" for index in read])))
    return HeldOut(*(np.concatenate(column) for column in zip(*parts)))


def _answer_groups(task_idx, fold, counts, undecided, rng) -> list:
    """[(task, its answers' positions, first?)]: each known task of the fold split into groups of about as
    many answers as the tasks of unknown truth have (all its answers in one group where it has no more).

    Known tasks are not answered like the rest: gold is shown to every worker as a check, so it gathers many
    answers, while adaptive overlap decides the other items on their first few. The calibration is for
    those: fitted on gold seen with all its answers, it would say how honest a ten-answer confidence is and
    apply it to three-answer ones (ρ's design effect is a model of that step, not a measurement of it).
    Splitting rather than subsampling keeps every answer in the run (the workers are fitted on the same
    evidence) and gives each known task several looks at that size. The k-th fewest answered known task is
    matched to the same quantile of the unknown ones: where both are answered alike (gold among them at
    random) each keeps its own count."""
    by_task = np.argsort(task_idx, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    ranked = fold[np.lexsort((rng.random(len(fold)), counts[fold]))]
    if len(undecided) and MATCH_ANSWER_COUNTS:
        sizes = np.quantile(undecided, (np.arange(len(fold)) + 0.5) / len(fold), method="inverted_cdf")
    else:
        sizes = counts[ranked]
    groups = []
    for task, size in zip(ranked, np.asarray(sizes, dtype=np.int64)):
        answers = rng.permutation(by_task[starts[task]:starts[task + 1]])
        size = max(int(size), 1)
        pieces = max(1, len(answers) // size)
        if pieces > MAX_GROUPS:
            # Gold answered by every worker has hundreds of answers: a few looks are enough, and the fit's
            # cost grows with the rows. The rest stay in the run (a group whose posterior is not read).
            split = [answers[k * size:(k + 1) * size] for k in range(MAX_GROUPS)] + [answers[MAX_GROUPS * size:]]
        else:
            split = np.array_split(answers, pieces)
        for number, piece in enumerate(split):
            groups.append((int(task), piece, "first" if number == 0 else "more" if number < MAX_GROUPS else "rest"))
    return groups
