"""A run's curves are saved as they grow, with its progress reports: shown while it trains and kept when it fails."""

import pytest

from tests.training.factories import RunFactory
from tests.training.tiny_models import launch
from training import selectors, services
from training.ml import launcher
from training.models import RunStatus, TrainingRun


@pytest.mark.django_db
def test_a_failed_run_keeps_the_curves_it_reported(category_project, tiny_base_model, django_capture_on_commit_callbacks,
                                                   monkeypatch):
    """The processes train to the end, then the outcome is lost: the run fails, and its curves are still there."""
    def lost(job, code):
        raise launcher.TrainingFailed("the result was lost")
    monkeypatch.setattr(launcher, "job_outcome", lost)

    with pytest.raises(launcher.TrainingFailed):  # a failed run's task fails too
        launch(category_project, tiny_base_model, django_capture_on_commit_callbacks, epochs=3)

    run = TrainingRun.objects.get(project=category_project)
    assert run.status == RunStatus.FAILED
    assert sum("loss" in row for row in run.history) >= 2
    assert sum("validation_score" in row for row in run.history) == 3  # a validation at each epoch's checkpoint
    assert [row["step"] for row in run.history] == sorted(row["step"] for row in run.history)


@pytest.mark.django_db
def test_each_progress_report_saves_the_points_it_carries(settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.RUNNING)
    reporter = services.RunReporter(run)

    reporter.hold([{"step": 1, "epoch": 0.1, "loss": 1.1}])
    reporter.progress(1, 10, 1.1)
    assert TrainingRun.objects.get(pk=run.pk).history == [{"step": 1, "epoch": 0.1, "loss": 1.1}]

    reporter.hold([{"step": 5, "epoch": 0.5, "loss": 0.7}, {"step": 5, "epoch": 0.5, "validation_loss": 0.8,
                                                           "validation_score": 0.6}])
    reporter.progress(5, 10, 0.7)
    run.refresh_from_db()
    assert [row["step"] for row in run.history] == [1, 5, 5] and run.progress_step == 5 and run.loss == 0.7


@pytest.mark.django_db
def test_a_resumed_run_keeps_its_points_up_to_the_checkpoint_it_goes_on_from(settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.RUNNING, history=[{"step": s, "loss": 1.0 / s} for s in (1, 4, 8)])
    checkpoint = selectors.run_folder(run) / "checkpoints" / "checkpoint-4"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text("{}")

    assert [row["step"] for row in services.RunReporter(run).history] == [1, 4]
    (checkpoint / "trainer_state.json").unlink()  # no complete checkpoint: it starts over, with no points
    assert services.RunReporter(run).history == []


def test_long_curves_are_thinned_but_keep_every_validation_and_the_last_loss():
    history = [{"step": s, "loss": 1.0} for s in range(1, 3001)] + [{"step": 3000, "validation_loss": 0.5}]
    thinned = services.history_thinned(history, 1000)

    assert len([row for row in thinned if "loss" in row]) <= 1001
    assert thinned[-1] == {"step": 3000, "validation_loss": 0.5} and thinned[-2] == {"step": 3000, "loss": 1.0}
    assert services.history_thinned(history[:10], 1000) == history[:10]
