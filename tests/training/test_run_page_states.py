"""The run's page tells the truth while a run starts and trains (user trial): the step axis spans the run's total
steps, the legend names only drawn series, start-up says what is happening instead of "step 0 of 0", the precision
shows what "auto" became, and a failed run names both its last report and the checkpoint a resume goes on from."""
import importlib
import json

import pytest
from django.apps import apps
from django.urls import reverse

from tests.training.factories import ModelVersionFactory, RunFactory
from tests.training.test_heartbeat import ProcessAliveFor
from training import selectors, services
from training.admin.charts import MARGIN, WIDTH, curves_svg
from training.admin.display import run_progress
from training.ml import launcher
from training.models import RunStatus, TrainingRun

LOSSES = [{"step": 1, "loss": 1.2}, {"step": 10, "loss": 0.9}]
VALIDATED = LOSSES + [{"step": 10, "validation_loss": 1.0, "validation_score": 0.5}]


def _checkpoint(run, step):
    folder = selectors.run_folder(run) / "checkpoints" / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text("{}")


def _page(client, admin_user, run) -> str:
    client.force_login(admin_user)
    return client.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()


def _field(page, label) -> str:
    """The readonly field's text after its label, tags and all."""
    return page.split(f"<label>{label}:</label>")[1].split('<div class="form-row')[0]


def _last_x(svg) -> float:
    return float(svg.split('points="')[1].split('"')[0].split()[-1].split(",")[0])


# --- 1. the step axis ---------------------------------------------------------------------------

def test_the_step_axis_spans_the_total_once_it_is_known():
    """Step 10 of 40 is a quarter across a frame that ends at step 40, not at the right edge."""
    growing = str(curves_svg(LOSSES, total_steps=40))
    assert ">step 40</text>" in growing
    assert _last_x(growing) == pytest.approx(MARGIN + (WIDTH - 2 * MARGIN) * 10 / 40, abs=0.1)
    unknown = str(curves_svg(LOSSES))  # no total yet (an old run, or a resumed one before its first report)
    assert ">step 10</text>" in unknown and _last_x(unknown) == pytest.approx(WIDTH - MARGIN, abs=0.1)


# --- 2. the legend --------------------------------------------------------------------------------

def test_the_legend_names_only_the_series_with_a_point():
    before_validation = str(curves_svg(LOSSES, total_steps=40))
    assert "training loss" in before_validation
    assert "validation loss" not in before_validation and "validation score" not in before_validation
    assert ">1.0</text>" not in before_validation  # nor labels the score's axis, with no score on it
    validated = str(curves_svg(VALIDATED, total_steps=40))
    assert "validation loss" in validated and "validation score (right, 0-1)" in validated and ">1.0</text>" in validated


# --- 3 and 5. what the progress says, state by state ------------------------------------------------

@pytest.mark.parametrize("state, resume_at, says, bar", [
    ({"status": RunStatus.QUEUED}, None, "queued: waiting for a training worker", None),
    ({"status": RunStatus.QUEUED}, 80, "queued: waiting for a training worker; resumes from checkpoint at step 80", None),
    ({"status": RunStatus.RUNNING}, None, "starting: loading the model and data", ""),
    ({"status": RunStatus.RUNNING}, 80, "starting: loading the model and data; resumes from checkpoint at step 80", ""),
    ({"status": RunStatus.RUNNING, "progress_step": 7, "progress_total": 20}, None, "step 7 of 20", "35.0"),
    ({"status": RunStatus.SUCCEEDED, "progress_step": 20, "progress_total": 20}, None, "step 20 of 20", "100.0"),
    ({"status": RunStatus.FAILED, "progress_step": 71, "progress_total": 120}, 80,
     "last report: step 71 of 120; resumes from checkpoint at step 80", "59.2"),
    ({"status": RunStatus.FAILED, "progress_step": 95, "progress_total": 120}, 80,
     "last report: step 95 of 120; resumes from checkpoint at step 80", "79.2"),
    ({"status": RunStatus.FAILED, "progress_step": 5, "progress_total": 120}, None,
     "last report: step 5 of 120; no checkpoint: a resume starts again from step 0", "4.2"),
    ({"status": RunStatus.FAILED}, None, "failed before its first report; no checkpoint: a resume starts again from step 0", None),
    ({"status": RunStatus.CANCELLED, "progress_step": 3, "progress_total": 8}, None, "stopped at step 3 of 8", "37.5"),
    ({"status": RunStatus.CANCELLED}, None, "cancelled before training began", None),
])
def test_the_progress_says_what_the_run_is_doing(state, resume_at, says, bar):
    """bar: the <progress> value, "" for an indeterminate one (start-up: something happens, no fraction yet), None
    for no bar at all."""
    html = str(run_progress(TrainingRun(**state), resume_at))
    assert f"({says})</small>" in html and "of 0" not in html
    if bar is None:
        assert "<progress" not in html
    elif bar == "":
        assert '<progress max="100" title' in html and "value=" not in html
    else:
        assert f'value="{bar}"' in html and f"{bar}%" in html


@pytest.mark.django_db
def test_a_starting_runs_page_says_it_is_loading_not_step_0_of_0(client, admin_user, settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.RUNNING)
    page = _page(client, admin_user, run)
    assert "starting: loading the model and data" in _field(page, "Progress") and "step 0 of 0" not in page
    assert "auto (decided at start)" in _field(page, "Precision")


@pytest.mark.django_db
def test_a_training_runs_page_draws_into_a_frame_of_its_total_steps(client, admin_user, settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.RUNNING, progress_step=10, progress_total=40, history=LOSSES, precision_used="fp32")
    page = _page(client, admin_user, run)
    assert "(step 10 of 40)" in _field(page, "Progress")
    curves = _field(page, "Curves")
    assert ">step 40</text>" in curves and "validation loss" not in curves
    assert "auto → fp32" in _field(page, "Precision")


@pytest.mark.django_db
def test_a_killed_runs_page_names_its_last_report_and_the_checkpoint_resume_uses(client, admin_user, settings, tmp_path):
    """The worker was killed after the checkpoint at step 80 was saved but before the report of step 80 reached the
    database: the page says both, and the Resume button names the same step as the text."""
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.FAILED, progress_step=71, progress_total=120, history=LOSSES)
    for step in (40, 80):
        _checkpoint(run, step)
    page = _page(client, admin_user, run)
    assert "last report: step 71 of 120; resumes from checkpoint at step 80" in _field(page, "Progress")
    assert "Resume from step 80" in page and ">step 120</text>" in _field(page, "Curves")


@pytest.mark.django_db
def test_a_resumed_run_starts_again_from_its_checkpoint_not_from_its_old_report(client, admin_user, settings, tmp_path,
                                                                                 django_capture_on_commit_callbacks):
    """Queued again, the failed attempt's "step 71 of 120" and its precision are not this attempt's."""
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.FAILED, progress_step=71, progress_total=120, precision_used="bf16")
    _checkpoint(run, 80)
    with django_capture_on_commit_callbacks():
        services.training_run_resume(run=run)
    run.refresh_from_db()
    assert (run.progress_step, run.progress_total, run.precision_used) == (0, 0, "")
    queued = _field(_page(client, admin_user, run), "Progress")
    assert "queued: waiting for a training worker; resumes from checkpoint at step 80" in queued
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    starting = _field(_page(client, admin_user, run), "Progress")
    assert "starting: loading the model and data; resumes from checkpoint at step 80" in starting


# --- 4. the precision used ------------------------------------------------------------------------

@pytest.mark.parametrize("asked, used, status, says", [
    ("auto", "", RunStatus.QUEUED, "auto (decided at start)"),
    ("auto", "", RunStatus.RUNNING, "auto (decided at start)"),
    ("auto", "fp32", RunStatus.RUNNING, "auto → fp32"),
    ("auto", "bf16", RunStatus.SUCCEEDED, "auto → bf16"),
    ("auto", "", RunStatus.FAILED, "auto (not recorded)"),
    ("fp16", "", RunStatus.QUEUED, "fp16"),
    ("fp16", "fp16", RunStatus.SUCCEEDED, "fp16"),
])
def test_the_precision_says_what_auto_became(asked, used, status, says):
    assert selectors.run_precision(TrainingRun(precision=asked, precision_used=used, status=status)) == says


@pytest.mark.django_db
def test_the_precision_and_device_the_processes_resolved_are_recorded_when_they_start(settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.RUNNING)
    job = tmp_path / "job"
    job.mkdir()
    (job / launcher.STARTED_FILE).write_text(json.dumps({"device": "cpu", "precision": "fp32"}))
    (job / launcher.RESULT_FILE).write_text(json.dumps({"metrics": {}, "samples_per_s": 1.0, "wall_seconds": 1.0,
                                                         "device": "cpu", "steps": 3, "output_dir": str(tmp_path)}))
    started = []
    reporter = services.RunReporter(run)
    launcher.job_follow(ProcessAliveFor(3), job, on_start=lambda **said: (started.append(said), reporter.started(**said)),
                        poll_seconds=0)
    assert started == [{"device": "cpu", "precision": "fp32"}]  # once, however many polls see the file
    run.refresh_from_db()
    assert (run.precision_used, run.device_used) == ("fp32", "cpu")


@pytest.mark.django_db
def test_runs_that_succeeded_before_the_field_show_the_precision_their_result_kept():
    kept = RunFactory(metrics={"precision": "bf16", "steps": 3})
    unknown = RunFactory(status=RunStatus.FAILED, metrics={})
    importlib.import_module("training.migrations.0008_run_precision_used").precision_used_from_results(apps, None)
    assert TrainingRun.objects.get(pk=kept.pk).precision_used == "bf16"
    assert TrainingRun.objects.get(pk=unknown.pk).precision_used == ""


@pytest.mark.django_db
def test_versions_side_by_side_compare_the_precision_used(client, admin_user):
    version = ModelVersionFactory(run__precision_used="fp32")
    assert selectors.version_comparison_rows(version)["precision"] == "auto → fp32"


@pytest.mark.django_db
def test_the_run_list_says_the_same_as_the_page(client, admin_user, settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    RunFactory(status=RunStatus.RUNNING)
    failed = RunFactory(status=RunStatus.FAILED, progress_step=71, progress_total=120)
    _checkpoint(failed, 80)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:training_trainingrun_changelist")).content.decode()
    assert "starting: loading the model and data" in listing and "step 0 of 0" not in listing
    assert "last report: step 71 of 120; resumes from checkpoint at step 80" in listing
