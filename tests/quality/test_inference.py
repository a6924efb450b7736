"""Truth inference (quality/inference): hand-made crowds whose right answer is known, then a simulated one.

Pure numpy: no test here touches the database.
"""
import numpy as np
import pytest

from quality.inference import DEFAULT_METHOD, METHODS, aggregate_spans, encode_answers, infer, span_f1

EM_METHODS = ["one_coin", "dawid_skene", "glad", "mace", "mace_dawid_skene"]


def run(method, answers, n_tasks=None, n_workers=None, n_classes=2, **options):
    """answers: (task, worker, label) integer triples."""
    tasks, workers, labels = (np.array(column) for column in zip(*answers))
    n_tasks = n_tasks or tasks.max() + 1
    n_workers = n_workers or workers.max() + 1
    return METHODS[method](tasks, workers, labels, n_tasks, n_workers, n_classes, **options)


def spammer_crowd():
    """Workers 0 and 1 always right, worker 2 always answers 0; truth alternates 0, 1."""
    truth = [t % 2 for t in range(8)]
    return truth, [(t, w, truth[t]) for t in range(8) for w in (0, 1)] + [(t, 2, 0) for t in range(8)]


def expert_crowd():
    """Workers 0, 1 and 2 (the expert) answer 40 tasks where workers 3 and 4, always right, show the
    expert is always right and 0 and 1 are right only 60% of the time. On tasks 40-42 only 0, 1 and
    the expert answer, 0 and 1 agreeing on the wrong label: majority says 1, the data say 0."""
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 2, 43)
    truth[40:] = 0
    answers = []
    for task in range(40):
        answers += [(task, w, int(truth[task])) for w in (2, 3, 4)]
        answers += [(task, w, int(truth[task]) if rng.random() < 0.6 else 1 - int(truth[task])) for w in (0, 1)]
    answers += [(task, w, label) for task in range(40, 43) for w, label in ((0, 1), (1, 1), (2, 0))]
    return truth, answers


# --- encoding -------------------------------------------------------------------------------------------------

def test_duplicate_answers_count_once_with_the_workers_last_answer():
    encoded = encode_answers(["t1", "t1", "t1"], ["w1", "w2", "w1"], ["yes", "no", "no"])
    assert len(encoded.task_idx) == 2
    by_worker = dict(zip(encoded.workers[encoded.worker_idx], encoded.classes[encoded.label_idx]))
    assert by_worker == {"w1": "no", "w2": "no"}


@pytest.mark.parametrize("policy, expected", [("first", ["yes", "no"]), ("all", ["yes", "no", "no"])])
def test_other_duplicate_policies(policy, expected):
    encoded = encode_answers(["t1", "t1", "t1"], ["w1", "w2", "w1"], ["yes", "no", "no"], duplicates=policy)
    assert list(encoded.classes[encoded.label_idx]) == expected
    with pytest.raises(ValueError):
        encode_answers(["t1"], ["w1"], ["yes"], duplicates="mean")


def test_conflicting_answers_from_different_workers_are_all_kept():
    encoded = encode_answers(["t1", "t1", "t2"], ["w1", "w2", "w1"], ["a", "b", "a"])
    assert (encoded.n_tasks, encoded.n_workers, encoded.n_classes) == (2, 2, 2)
    assert sorted(encoded.classes[encoded.label_idx[encoded.task_idx == 0]]) == ["a", "b"]


def test_integer_labels_are_ordered_as_numbers():
    assert list(encode_answers(["t"] * 3, ["a", "b", "c"], ["10", "2", "1"]).classes) == ["1", "2", "10"]


def test_explicit_classes_keep_their_order_and_reject_unknown_labels():
    encoded = encode_answers(["t1", "t2"], ["w", "w"], ["neg", "pos"], classes=["pos", "neutral", "neg"])
    assert list(encoded.label_idx) == [2, 0] and encoded.n_classes == 3
    with pytest.raises(ValueError, match="maybe"):
        encode_answers(["t1"], ["w"], ["maybe"], classes=["pos", "neg"])


def test_known_truth_maps_ids_to_indices_and_skips_unanswered_tasks():
    encoded = encode_answers(["t1", "t2"], ["w", "w"], ["a", "b"])
    assert list(encoded.known_truth({"t2": "a", "never-answered": "b"})) == [-1, 0]


# --- every method -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_spammer_is_outvoted(method):
    truth, answers = spammer_crowd()
    assert list(run(method, answers).labels) == truth


@pytest.mark.parametrize("method", METHODS)
def test_task_with_a_single_answer_from_an_unknown_worker_takes_that_answer(method):
    truth, answers = spammer_crowd()
    result = run(method, answers + [(8, 3, 1)])  # worker 3 appears once, alone on task 8
    assert result.labels[8] == 1 and result.confidence[8] > 0.5


@pytest.mark.parametrize("method", METHODS)
def test_one_answer_only(method):
    result = run(method, [(0, 0, 2)], n_classes=3)
    assert result.labels[0] == 2 and 1 / 3 < result.confidence[0] <= 1


@pytest.mark.parametrize("method", METHODS)
def test_known_truth_is_clamped(method):
    truth, answers = spammer_crowd()
    result = run(method, answers, known_truth={0: 1})  # every worker said 0 on task 0
    assert result.labels[0] == 1 and result.confidence[0] == 1.0
    assert list(result.posterior[0]) == [0.0, 1.0]
    assert list(run(method, answers, known_truth=np.array([1] + [-1] * 7)).labels) == [1] + truth[1:]


@pytest.mark.parametrize("method", METHODS)
def test_symmetric_tie_goes_to_the_lower_class_index(method):
    answers = [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]  # swapping the labels changes nothing
    result = run(method, answers)
    assert list(result.labels) == [0, 0]
    assert result.confidence == pytest.approx([0.5, 0.5])


@pytest.mark.parametrize("method", METHODS)
def test_result_shapes_and_ranges(method):
    rng = np.random.default_rng(3)
    tasks, workers, labels = rng.integers(0, 30, 200), rng.integers(0, 12, 200), rng.integers(0, 4, 200)
    result = METHODS[method](tasks, workers, labels, 32, 12, 4)  # tasks 30 and 31 have no answers
    assert result.labels.shape == result.confidence.shape == (32,)
    assert np.all((result.labels >= 0) & (result.labels < 4))
    assert np.all((result.confidence > 0) & (result.confidence <= 1))
    assert result.posterior.sum(axis=1) == pytest.approx(np.ones(32))
    assert result.worker_quality.shape == (12,) and np.all((0 <= result.worker_quality) & (result.worker_quality <= 1))


@pytest.mark.parametrize("method", METHODS)
def test_bad_indices_are_rejected(method):
    with pytest.raises(ValueError):
        METHODS[method](np.array([0]), np.array([0]), np.array([2]), 1, 1, 2)


# --- voting ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["majority_vote", "weighted_vote"])
def test_vote_tie_goes_to_the_class_answered_less_often(method):
    # task 0 is tied 1-1; overall class 1 was answered 3 times, class 0 once
    assert run(method, [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 1)]).labels[0] == 0
    # same tie, now class 0 is the common one
    assert run(method, [(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 0)]).labels[0] == 1


def test_majority_confidence_is_the_vote_share_and_ignores_weights():
    result = run("majority_vote", [(0, 0, 1), (0, 1, 1), (0, 2, 0)], worker_weights=np.array([0.0, 0.0, 9.0]))
    assert result.labels[0] == 1 and result.confidence[0] == pytest.approx(2 / 3)
    assert list(result.worker_quality) == [1.0, 1.0, 0.0]


def test_weighted_vote_follows_the_weights():
    answers = [(0, 0, 1), (0, 1, 1), (0, 2, 0)]
    heavy = run("weighted_vote", answers, worker_weights=np.array([1.0, 1.0, 3.0]))
    assert heavy.labels[0] == 0 and heavy.confidence[0] == pytest.approx(0.6)
    silenced = run("weighted_vote", answers, worker_weights=np.array([0.0, 1.0, 0.5]))
    assert silenced.labels[0] == 1
    with pytest.raises(ValueError):
        run("weighted_vote", answers, worker_weights=np.array([1.0, -1.0, 1.0]))


def test_weighted_vote_without_weights_weighs_by_agreement_with_the_majority():
    # worker 2 is outvoted on tasks 0-2; on task 3 workers 0 and 2 tie, which the tie rule gives to 1
    answers = [(t, w, 0) for t in range(3) for w in (0, 1)] + [(t, 2, 1) for t in range(3)]
    answers += [(3, 0, 0), (3, 2, 1)]
    assert run("majority_vote", answers).labels[3] == 1
    result = run("weighted_vote", answers)  # weights: worker 0 agreed 3 of 4 times, worker 2 once
    assert result.labels[3] == 0 and result.confidence[3] == pytest.approx(0.75)


# --- models that learn worker quality -----------------------------------------------------------------------------

@pytest.mark.parametrize("method", EM_METHODS)
def test_consistently_right_worker_is_trusted_over_two_noisy_ones(method):
    truth, answers = expert_crowd()
    assert list(run("majority_vote", answers).labels[40:]) == [1, 1, 1]  # the case is not trivial
    result = run(method, answers)
    assert list(result.labels[40:]) == [0, 0, 0]
    assert result.worker_quality[2] > max(result.worker_quality[0], result.worker_quality[1]) + 0.2


@pytest.mark.parametrize("method", EM_METHODS)
def test_spammer_gets_a_low_quality(method):
    _, answers = spammer_crowd()
    quality = run(method, answers).worker_quality
    assert quality[2] < min(quality[0], quality[1]) - 0.2


@pytest.mark.parametrize("method", ["dawid_skene", "mace_dawid_skene"])
def test_gold_teaches_the_confusion_of_a_worker_who_swaps_labels(method):
    # on 20 gold tasks worker 0 always gives the other label; on task 20 only worker 0 answered, saying 0
    answers = [(t, 0, 1 - t % 2) for t in range(20)] + [(t, 1, t % 2) for t in range(20)] + [(20, 0, 0)]
    result = run(method, answers, known_truth={t: t % 2 for t in range(20)})
    assert result.labels[20] == 1 and result.confidence[20] > 0.8
    assert result.worker_confusion[0, 0, 1] > 0.8


# --- the default on a simulated crowd ------------------------------------------------------------------------------

def simulated_crowd(seed=0, n_tasks=1500, n_workers=80, n_classes=3, answers_per_task=4):
    """Dawid-Skene workers: 45% fair (55% right), 20% biased (often say k+1), 25% spammers with a favourite
    class, 10% experts; few workers do most of the work (Pareto activity), as on real platforms."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(n_classes, size=n_tasks, p=[0.5, 0.3, 0.2])
    eye = np.eye(n_classes)
    kinds = {
        "fair": lambda: 0.55 * eye + 0.45 * rng.dirichlet(np.ones(n_classes), n_classes),
        "biased": lambda: 0.55 * eye + 0.4 * np.roll(eye, 1, axis=1) + 0.05 / n_classes,
        "spammer": lambda: np.tile(rng.dirichlet(np.full(n_classes, 0.5)), (n_classes, 1)),
        "expert": lambda: 0.95 * eye + 0.05 / n_classes,
    }
    chosen = rng.choice(list(kinds), size=n_workers, p=[0.45, 0.2, 0.25, 0.1])
    confusion = np.stack([kinds[kind]() for kind in chosen])
    confusion /= confusion.sum(axis=2, keepdims=True)
    activity = rng.pareto(1.5, n_workers) + 0.2
    workers = np.concatenate([rng.choice(n_workers, answers_per_task, replace=False, p=activity / activity.sum())
                              for _ in range(n_tasks)])
    tasks = np.repeat(np.arange(n_tasks), answers_per_task)
    labels = (rng.random(len(tasks))[:, None] > confusion[workers, truth[tasks]].cumsum(axis=1)).sum(axis=1)
    return truth, (tasks, workers, labels, n_tasks, n_workers, n_classes)


def test_default_method_beats_majority_vote_on_a_simulated_crowd():
    truth, arrays = simulated_crowd()
    default_accuracy = (METHODS[DEFAULT_METHOD](*arrays).labels == truth).mean()
    majority_accuracy = (METHODS["majority_vote"](*arrays).labels == truth).mean()
    assert default_accuracy > majority_accuracy + 0.05


def test_default_confidence_is_calibrated_on_a_simulated_crowd_with_some_gold():
    """Simulated workers err independently, as the model assumes: 5% gold lets calibration find that out
    (the posterior is left nearly as it is), and the confidence matches the accuracy."""
    truth, arrays = simulated_crowd()
    known = np.full(len(truth), -1)
    gold = np.random.default_rng(1).choice(len(truth), 75, replace=False)
    known[gold] = truth[gold]
    result = METHODS[DEFAULT_METHOD](*arrays, known_truth=known)
    scored = np.setdiff1d(np.arange(len(truth)), gold)
    accuracy = (result.labels[scored] == truth[scored]).mean()
    fitted = result.calibration
    assert fitted.source == "known_truth" and fitted.temperature * (1 + 3 * fitted.correlation) < 1.5
    assert abs(result.confidence[scored].mean() - accuracy) < 0.03
    unsure = result.confidence[scored] < 0.9  # the items a platform would send for more answers
    assert unsure.sum() > 100 and (result.labels[scored] == truth[scored])[unsure].mean() < 0.9


def test_without_known_truth_the_default_assumes_real_crowds_correlated_errors():
    """With no gold yet, the default ρ learned on real crowds is used: on independent simulated workers it
    errs on the modest side, never the overconfident one."""
    truth, arrays = simulated_crowd()
    result = METHODS[DEFAULT_METHOD](*arrays)
    assert result.calibration.source == "default"
    assert result.confidence.mean() <= (result.labels == truth).mean() + 0.01


def test_infer_runs_the_default_on_encoded_answers():
    encoded = encode_answers(["t1", "t1", "t2"], ["w1", "w2", "w1"], ["a", "a", "b"])
    result = infer(encoded, known_truth=encoded.known_truth({"t2": "a"}))
    assert list(encoded.classes[result.labels]) == ["a", "a"]


# --- spans ---------------------------------------------------------------------------------------------------------

def test_span_kept_when_a_majority_marked_it_exactly():
    consensus = aggregate_spans([[(0, 5, "BRAND"), (6, 9, "COLOR")], [(0, 5, "BRAND")], [(0, 4, "BRAND")]])
    assert consensus.spans == [(0, 5, "BRAND")]
    assert consensus.support == pytest.approx([2 / 3])
    # pairwise F1: (1,2) 2/3, (1,3) 0, (2,3) 0
    assert consensus.agreement == pytest.approx((2 / 3) / 3)


def test_half_is_not_a_majority_and_labels_must_match():
    consensus = aggregate_spans([[(0, 5, "BRAND")], [(0, 5, "COLOR")]])
    assert consensus.spans == [] and consensus.agreement == 0.0


def test_spans_with_nobody_or_one_worker():
    assert aggregate_spans([[], []]) == ([], [], 1.0)
    assert aggregate_spans([[{"start": 2, "end": 4, "label": "SIZE"}]]) == ([(2, 4, "SIZE")], [1.0], None)


def test_span_weights_and_overlaps():
    weighted = aggregate_spans([[(0, 3, "A")], [], []], worker_weights=[3.0, 1.0, 1.0])
    assert weighted.spans == [(0, 3, "A")]
    overlapping = aggregate_spans([[(0, 5, "A")], [(0, 5, "A")], [(3, 8, "B")]], min_support=0.3)
    assert overlapping.spans == [(0, 5, "A")]  # (3, 8) overlaps a better-supported span
    with pytest.raises(ValueError):
        aggregate_spans([[(4, 4, "A")]])


def test_span_f1():
    assert span_f1({(0, 1, "A"), (2, 3, "B")}, {(0, 1, "A")}) == pytest.approx(2 / 3)
    assert span_f1(set(), set()) == 1.0 and span_f1({(0, 1, "A")}, set()) == 0.0
