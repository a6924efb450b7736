"""Progress is reported by time (at most once every progress_seconds), plus at each validation and checkpoint: what
the README promises. RunCallback is driven with Trainer's own state objects and a clock the test sets."""
import pytest
from transformers import TrainerControl, TrainerState

from training.ml import hf_engine
from training.ml.finetune import TrainingCancelled


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(hf_engine.time, "perf_counter", clock)
    return clock


def drive(callback, clock, seconds_per_step, steps, max_steps=100, evaluate_at=()):
    """Steps as Trainer takes them: the step ends, and where the callback asked, the loss is logged (and a validation
    follows at evaluate_at, which Trainer's flow marks before the callbacks see the step's end)."""
    state, control = TrainerState(max_steps=max_steps, epoch=0.0), TrainerControl()
    callback.on_train_begin(None, state, control)
    for step in range(1, steps + 1):
        clock.now += seconds_per_step
        state.global_step, state.epoch = step, step / max_steps
        control.should_log, control.should_evaluate = False, step in evaluate_at
        callback.on_step_end(None, state, control)
        if control.should_log:
            callback.on_log(None, state, control, logs={"loss": 1.0 / step})
        if control.should_evaluate:
            callback.on_log(None, state, control, logs={"eval_loss": 0.5, "eval_score": 0.7})
    return state


def test_progress_comes_at_most_once_a_second_however_fast_the_steps(clock):
    reports = []
    callback = hf_engine.RunCallback(lambda *args: reports.append(args), None, TrainingCancelled, 1.0, 800)
    drive(callback, clock, seconds_per_step=0.3, steps=20)  # 6 s of steps
    # step 1, then the first step at least 1 s after the previous report (0.3 s each: every 4th step)
    assert [step for step, _total, _loss in reports] == [1, 5, 9, 13, 17]


def test_slow_steps_report_each_step(clock):
    reports = []
    callback = hf_engine.RunCallback(lambda *args: reports.append(args), None, TrainingCancelled, 1.0, 800)
    drive(callback, clock, seconds_per_step=2.5, steps=7)
    assert [step for step, _total, _loss in reports] == [1, 2, 3, 4, 5, 6, 7]  # not every 5th step


def test_a_validation_is_reported_at_once_with_its_point_for_the_curves(clock):
    reports, points = [], []
    callback = hf_engine.RunCallback(lambda *args: reports.append(args), None, TrainingCancelled, 3600, 800,
                                     on_history=points.extend)
    drive(callback, clock, seconds_per_step=0.1, steps=12, evaluate_at=(10,))
    assert [step for step, _total, _loss in reports] == [1, 10]  # one report for the loss and its validation
    assert [(row["step"], "validation_score" in row) for row in points] == [(1, False), (10, False), (10, True)]
