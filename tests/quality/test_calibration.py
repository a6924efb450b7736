"""Honest confidence on hand-made crowds: quality/inference/calibration.py and selection.py."""
import numpy as np
import pytest

from quality.inference import DEFAULT_METHOD, METHODS, encode_answers, infer
from quality.inference import calibration, selection


def copying_crowd(seed=0, n_tasks=1200, n_classes=2, groups=4, group_size=3, leader_accuracy=0.75):
    """Each task is answered by one group of workers who copy their leader: a leader right 75% of the time
    and two followers who give the leader's answer. Three answers, the evidence of one."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    group = rng.integers(0, groups, n_tasks)
    right = rng.random(n_tasks) < leader_accuracy
    wrong = (truth + rng.integers(1, n_classes, n_tasks)) % n_classes
    leader_answer = np.where(right, truth, wrong)
    tasks = np.repeat(np.arange(n_tasks), group_size)
    workers = (group[:, None] * group_size + np.arange(group_size)[None, :]).ravel()
    labels = np.repeat(leader_answer, group_size)
    return truth, (tasks, workers, labels, n_tasks, groups * group_size, n_classes)


def gold_of(truth, share=0.05, seed=1):
    known = np.full(len(truth), -1)
    gold = np.random.default_rng(seed).choice(len(truth), int(share * len(truth)), replace=False)
    known[gold] = truth[gold]
    return known, np.setdiff1d(np.arange(len(truth)), gold)


def test_a_copying_crowd_is_overconfident_without_gold_and_honest_with_it():
    truth, arrays = copying_crowd()
    raw = METHODS["mace_dawid_skene"](*arrays)
    no_gold = METHODS[DEFAULT_METHOD](*arrays)
    accuracy = (raw.labels == truth).mean()
    assert 0.7 < accuracy < 0.8
    assert raw.confidence.mean() > accuracy + 0.2           # three copies read as three witnesses
    assert no_gold.confidence.mean() > accuracy + 0.1        # the default cannot know this crowd copies
    known, scored = gold_of(truth, share=0.1)
    with_gold = METHODS[DEFAULT_METHOD](*arrays, known_truth=known)
    fitted = with_gold.calibration
    assert fitted.source == "known_truth" and (fitted.correlation > 0.5 or fitted.temperature > 2)
    assert abs(with_gold.confidence[scored].mean() - (with_gold.labels[scored] == truth[scored]).mean()) < 0.05


def test_calibration_keeps_the_labels_and_only_moves_the_confidence():
    truth, arrays = copying_crowd(seed=3)
    known, _ = gold_of(truth)
    raw = METHODS["mace_dawid_skene"](*arrays, known_truth=known)
    honest, _ = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    assert np.array_equal(raw.labels, honest.labels)
    assert np.all(honest.confidence[known < 0] <= raw.confidence[known < 0] + 1e-12)


def test_a_project_with_no_known_truth_uses_the_default_correlation():
    encoded = encode_answers(["t1", "t1", "t1", "t2", "t2"], ["a", "b", "c", "a", "b"], ["x", "x", "x", "x", "y"])
    result = infer(encoded)
    assert result.calibration.source == "default"
    assert result.calibration.correlation == calibration.DEFAULT_CORRELATIONS[selection.FALLBACK]
    assert result.calibration.method == selection.FALLBACK and len(result.calibration.holdout_confidence) == 0
    raw = METHODS[selection.FALLBACK](*encoded.arrays())
    assert np.array_equal(result.labels, raw.labels)
    assert 0.5 < result.confidence[0] < raw.confidence[0]   # three agreeing strangers: likely, not certain


def test_a_task_with_one_answer_is_not_changed():
    posterior = calibration.tempered_posterior(np.log([[0.8, 0.2]]), np.array([0.5, 0.5]), np.array([1]), 0.9)
    assert posterior[0, 0] == pytest.approx(0.8)


@pytest.mark.parametrize("correlation", [0.0, 0.3, 0.95])
def test_calibration_cannot_push_a_confidence_outside_0_1(correlation):
    rng = np.random.default_rng(0)
    evidence = rng.normal(0, 1, (500, 4)) * rng.choice([1e-6, 1.0, 1e3, 1e6], (500, 1))
    evidence[0] = [-1e308, 0.0, -1e308, -1e308]                  # as certain as a float can say
    prior = np.array([1e-300, 0.3, 0.3, 0.4])
    answers = rng.integers(0, 60, 500)
    posterior = calibration.tempered_posterior(evidence, prior, answers, correlation)
    assert np.all(np.isfinite(posterior)) and np.all(posterior >= 0) and np.all(posterior <= 1)
    assert np.allclose(posterior.sum(axis=1), 1.0)


def test_fitted_correlation_stays_in_range_and_is_pulled_to_the_default_by_little_evidence():
    truth, arrays = copying_crowd(n_tasks=60)
    known = np.full(60, -1)
    known[:12] = truth[:12]
    _, few = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    truth, arrays = copying_crowd(n_tasks=1200)
    known, _ = gold_of(truth, share=0.2)
    _, many = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    assert 0.0 <= few.correlation <= 1.0 and 0.0 <= many.correlation <= 1.0
    assert few.temperature * (1 + 2 * few.correlation) < many.temperature * (1 + 2 * many.correlation)
    assert len(many.holdout_confidence) == len(many.holdout_correct) == int(0.2 * 1200)


def test_repeated_answers_of_one_worker_count_once():
    """A worker who answers the same task five times (real exports keep every row) is one witness, not
    five: counting every row would let them outvote two others and be overconfident about it."""
    encoded = encode_answers(["t"] * 7, ["rep"] * 5 + ["a", "b"], ["x"] * 5 + ["y", "y"])
    assert len(encoded.task_idx) == 3
    assert list(encoded.classes[infer(encoded).labels]) == ["y"]


def test_auto_keeps_the_hierarchical_model_without_evidence_and_weighs_candidates_with_it():
    truth, arrays = copying_crowd()
    known, _ = gold_of(truth)
    result = METHODS["auto"](*arrays, known_truth=known)
    assert set(result.calibration.model_evidence) == set(selection.CANDIDATES)
    assert result.calibration.method in selection.CANDIDATES
    assert METHODS["auto"](*arrays).calibration.model_evidence == {}


def test_a_previous_fit_is_reused_until_the_known_truth_grows():
    """Re-fitting costs FOLDS + 1 runs of every candidate; a project is evaluated every few seconds."""
    truth, arrays = copying_crowd()
    known, scored = gold_of(truth, share=0.1)
    first = METHODS["auto"](*arrays, known_truth=known)
    fit = calibration.PreviousFit(first.calibration.method, first.calibration.points, first.calibration.known_truth,
                                  first.calibration.known_answers)
    again = METHODS["auto"](*arrays, known_truth=known, previous=fit)
    assert again.calibration.reused and again.calibration.method == first.calibration.method
    assert np.allclose(again.confidence, first.confidence)
    grown = known.copy()
    grown[scored[:30]] = truth[scored[:30]]                      # 25% more known truth: fitted afresh
    refitted = METHODS["auto"](*arrays, known_truth=grown, previous=fit)
    assert not refitted.calibration.reused and refitted.calibration.known_truth == len(np.flatnonzero(grown >= 0))
    assert not calibration.PreviousFit("mace", (), 120).still_fits(120)


def test_a_previous_fit_is_refitted_when_the_known_items_gather_answers():
    """Gold is imported whole: the known items are all there from a project's first answers, and what they
    say about the crowd grows with their answers. A fit made when they had a few answers each must not be
    reused for the project's life because their number never changed."""
    truth, (tasks, workers, labels, *sizes) = copying_crowd()
    known, _ = gold_of(truth, share=0.1)
    on_known = np.flatnonzero(known[tasks] >= 0)
    early = np.setdiff1d(np.arange(len(tasks)), on_known[::2])               # half the gold answers not yet in
    first = METHODS["auto"](tasks[early], workers[early], labels[early], *sizes, known_truth=known)
    fit = calibration.PreviousFit(first.calibration.method, first.calibration.points, first.calibration.known_truth,
                                  first.calibration.known_answers)
    assert first.calibration.known_answers == len(on_known) - len(on_known[::2])
    later = METHODS["auto"](tasks, workers, labels, *sizes, known_truth=known, previous=fit)
    assert later.calibration.known_truth == first.calibration.known_truth      # the same gold items ...
    assert not later.calibration.reused                                        # ... twice the answers: refitted
    assert later.calibration.known_answers == len(on_known)
    assert fit.still_fits(fit.known_truth, int(fit.known_answers * 1.05))    # 5% more answers: reused
    assert not fit.still_fits(fit.known_truth, fit.known_answers - 1)        # fewer (answers deleted): refitted


def trapped_crowd(seed=0, n_tasks=1500, n_classes=4, workers=30, per_task=5, accuracy=0.8, traps=0.08):
    """Independent workers, right 80% of the time, except on the trap tasks (a breed everyone takes for
    another): there every worker gives the same wrong label. No count of answers makes those right."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_tasks)
    trap = rng.random(n_tasks) < traps
    decoy = (truth + rng.integers(1, n_classes, n_tasks)) % n_classes
    tasks = np.repeat(np.arange(n_tasks), per_task)
    answering = np.concatenate([rng.choice(workers, per_task, replace=False) for _ in range(n_tasks)])
    right = rng.random(len(tasks)) < accuracy
    other = (truth[tasks] + rng.integers(1, n_classes, len(tasks))) % n_classes
    labels = np.where(trap[tasks], decoy[tasks], np.where(right, truth[tasks], other))
    return truth, (tasks, answering, labels, n_tasks, workers, n_classes)


def test_items_whose_answers_mislead_together_cap_the_confidence_once_gold_shows_them():
    truth, arrays = trapped_crowd()
    known, scored = gold_of(truth, share=0.1)
    raw = METHODS["mace_dawid_skene"](*arrays, known_truth=known)
    result, fitted = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    assert raw.confidence[scored].mean() > 0.97                         # unanimous traps read as certain
    sure = scored[result.confidence[scored] >= 0.8]
    accuracy = (result.labels[sure] == truth[sure]).mean()
    assert len(sure) > 0.5 * len(scored) and 0.85 < accuracy < 0.95     # the traps sit among the sure items
    assert fitted.lapse > 0.03
    assert abs(result.confidence[sure].mean() - accuracy) < 0.04          # said as sure as they are right
    assert result.confidence[scored].max() < 1 - fitted.lapse / 2
    # The same crowd without traps: the gold shows no confidently wrong item, the lapse stays near 0.
    truth, arrays = trapped_crowd(traps=0.0)
    known, scored = gold_of(truth, share=0.1)
    clean, fitted = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    assert fitted.lapse < 0.01
    assert (clean.confidence[scored] > 0.95).mean() > 0.5


def test_points_stored_before_the_lapse_are_read_as_no_lapse():
    truth, arrays = copying_crowd()
    known, _ = gold_of(truth, share=0.1)
    old = calibration.PreviousFit("mace_dawid_skene", ((0.4, 1.0, 0.7), (0.5, 1.2, 0.3)),
                                  *calibration.known_evidence(arrays[0], known))
    reused = METHODS["auto"](*arrays, known_truth=known, previous=old)
    assert reused.calibration.reused and reused.calibration.lapse == 0.0
    assert reused.calibration.correlation == pytest.approx(0.43)
    both = calibration.averaged_posterior(np.log([[0.9, 0.1]]), np.array([0.5, 0.5]), np.array([3]),
                                          [(0.4, 1.0, 0.0, 0.7), (0.5, 1.2, 0.7)][:1] + [(0.5, 1.2, 0.0, 0.3)])
    assert np.allclose(both.sum(axis=1), 1.0)


@pytest.mark.parametrize("lapse", [0.0, 0.08, 1.0])
def test_the_lapse_keeps_confidences_inside_0_1(lapse):
    rng = np.random.default_rng(1)
    evidence = rng.normal(0, 1, (200, 3)) * rng.choice([1e-6, 1.0, 1e6], (200, 1))
    prior = np.array([0.2, 0.3, 0.5])
    posterior = calibration.tempered_posterior(evidence, prior, rng.integers(0, 30, 200), 0.3, 1.0, lapse)
    assert np.all(posterior >= 0) and np.all(posterior <= 1) and np.allclose(posterior.sum(axis=1), 1.0)
    assert posterior.max() <= 1 - lapse + lapse * prior.max() + 1e-12


def test_known_items_are_held_out_with_as_many_answers_as_the_items_being_decided(monkeypatch):
    """Gold gathers ten answers (every worker is checked on it); adaptive overlap decides the rest on three.
    The calibration must be fitted on gold seen as the rest is seen: with three of its answers."""
    rng = np.random.default_rng(4)
    n_tasks, n_workers = 600, 40
    truth = rng.integers(0, 3, n_tasks)
    gold = rng.choice(n_tasks, 60, replace=False)
    per_task = np.full(n_tasks, 3)
    per_task[gold] = 10
    tasks = np.repeat(np.arange(n_tasks), per_task)
    workers = np.concatenate([rng.choice(n_workers, n, replace=False) for n in per_task])
    right = rng.random(len(tasks)) < 0.75
    labels = np.where(right, truth[tasks], (truth[tasks] + rng.integers(1, 3, len(tasks))) % 3)
    known = np.full(n_tasks, -1)
    known[gold] = truth[gold]
    arrays = (tasks, workers, labels, n_tasks, n_workers, 3)
    counts = np.bincount(tasks, minlength=n_tasks)
    groups = calibration._answer_groups(tasks, gold, counts, counts[known < 0], np.random.default_rng(0))
    for task in gold:                      # ten answers: three disjoint groups of 3 or 4, every answer kept
        pieces = [answers for owner, answers, _ in groups if owner == task]
        assert sorted(len(piece) for piece in pieces) == [3, 3, 4]
        assert sorted(np.concatenate(pieces)) == list(np.flatnonzero(tasks == task))
    _, fitted = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    decided_like = fitted.holdout_confidence
    monkeypatch.setattr(calibration, "MATCH_ANSWER_COUNTS", False)
    _, all_answers = calibration.infer_calibrated(METHODS["mace_dawid_skene"], *arrays, known_truth=known)
    # Ten answers make gold look far surer than a three-answer item ever is.
    assert all_answers.holdout_confidence.mean() > decided_like.mean() + 0.05


def test_gold_answered_by_everyone_is_read_a_few_times_and_keeps_every_answer_in_the_run():
    """Gold shown to every worker gathers hundreds of answers; the fit's cost grows with the groups read."""
    tasks = np.concatenate([np.zeros(40, dtype=np.int64), np.repeat(np.arange(1, 11), 3)])
    counts = np.bincount(tasks)
    groups = calibration._answer_groups(tasks, np.array([0]), counts, counts[1:], np.random.default_rng(0))
    read = [answers for _, answers, kind in groups if kind != "rest"]
    assert len(read) == calibration.MAX_GROUPS and all(len(answers) == 3 for answers in read)
    assert sorted(np.concatenate([answers for _, answers, _ in groups])) == list(range(40))
