"""Fine-tuning runs: launch, execute (in the Celery `training` queue), cancel, fail a dead worker's run,
and turn a succeeded run into a model version."""

import socket
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from quality.models import ItemDecision
from tasks.models import Project, TaskType

from . import selectors, signals, snapshots
from .models import FINISHED, DatasetSnapshot, ModelVersion, RunStatus, RunTask, TrainingPolicy, TrainingRun

HYPERPARAMETERS = ("epochs", "learning_rate", "batch_size", "max_length", "seed", "device", "base_model")


class TrainingError(Exception):
    pass


class ActivationNeedsConfirmation(TrainingError):
    """The version looks worse than the active one or than the floor; a person must say yes."""

    def __init__(self, concerns: list[str]):
        super().__init__(" ".join(concerns))
        self.concerns = concerns


def _task_for(project: Project) -> str:
    return RunTask.TOKEN if project.task_type == TaskType.SPAN else RunTask.SEQUENCE


@transaction.atomic
def training_run_launch(*, project: Project, created_by=None, snapshot: DatasetSnapshot | None = None,
                        **hyperparameters) -> TrainingRun:
    """Snapshot the accepted labels (unless a snapshot is given), queue a run, enqueue it on commit."""
    unknown = set(hyperparameters) - set(HYPERPARAMETERS)
    if unknown:
        raise TrainingError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if hyperparameters.get("device", "auto") not in ("auto", "cpu", "cuda"):
        raise TrainingError("device must be auto, cpu or cuda.")
    base = hyperparameters.get("base_model") or ""
    if base and not (Path(base) / "config.json").exists():
        raise TrainingError(f"{base} is not a local Hugging Face model folder (no config.json).")
    if snapshot is None:
        try:
            snapshot = snapshots.snapshot_create(project=project, created_by=created_by)
        except ValueError as error:
            raise TrainingError(str(error)) from error
    run = TrainingRun.objects.create(project=project, snapshot=snapshot, task=_task_for(project),
                                     created_by=created_by, **hyperparameters)
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue_consider(version_id: int) -> None:
    from .celery_tasks import consider_version

    consider_version.apply_async(args=[version_id])


def _enqueue(run_id: int) -> None:
    from .celery_tasks import run_training

    run_training.apply_async(args=[run_id])


def training_run_cancel(*, run: TrainingRun) -> TrainingRun:
    """A queued run is cancelled at once; a running one stops at its next step."""
    TrainingRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), cancel_requested=True)
    TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    return run


# --- Execution (inside the Celery worker) ---------------------------------------------------------

def training_run_execute(*, run_id: int) -> TrainingRun:
    """Train, reporting progress to the database; on success make a model version."""
    claimed = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now(),
        worker=f"{socket.gethostname()}",
    )
    run = TrainingRun.objects.select_related("snapshot", "project").get(pk=run_id)
    if not claimed:
        return run  # cancelled before it started, or already taken by another worker
    try:
        result = _train(run)
    except Exception as error:
        return _finish_failed(run, error)
    return _finish_succeeded(run, result)


def _train(run: TrainingRun):
    from training.ml import base_model_path
    from training.ml.datasets import snapshot_load
    from training.ml.finetune import TrainConfig, train

    dataset, _manifest = snapshot_load(run.snapshot.folder)
    config = TrainConfig(
        task=run.task, base_model=run.base_model or str(base_model_path()), epochs=run.epochs,
        learning_rate=run.learning_rate, batch_size=run.batch_size, max_length=run.max_length, seed=run.seed,
        device=run.device,
    )
    output = Path(settings.TRAINING_DIR) / "models" / f"run-{run.pk}"
    return train(config, dataset, output, on_progress=_progress_reporter(run.pk), should_stop=_stop_checker(run.pk))


def _progress_reporter(run_id):
    def report(step, total, loss):
        TrainingRun.objects.filter(pk=run_id).update(
            progress_step=step, progress_total=total, loss=loss, heartbeat_at=timezone.now())
    return report


def _stop_checker(run_id, every: int = 5):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        if calls["n"] % every:
            return False
        return TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()
    return should_stop


def _finish_failed(run, error) -> TrainingRun:
    from training.ml.finetune import TrainingCancelled

    cancelled = isinstance(error, TrainingCancelled)
    TrainingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.CANCELLED if cancelled else RunStatus.FAILED, finished_at=timezone.now(),
        log=run.log + (f"{error}\n" if cancelled else traceback.format_exc()),
    )
    run.refresh_from_db()
    if not cancelled:
        signals.send_on_commit(signals.training_run_finished, run_id=run.pk, project_id=run.project_id,
                               status=run.status)
        raise error
    return run


@transaction.atomic
def _finish_succeeded(run, result) -> TrainingRun:
    metrics = result.as_dict()
    TrainingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(), metrics=metrics, output_dir=str(result.output_dir),
        progress_step=result.steps, progress_total=result.steps,
        log=run.log + f"trained {result.steps} steps on {result.device} ({result.precision}) in {result.wall_seconds:.1f} s\n",
    )
    number = (ModelVersion.objects.filter(project=run.project).aggregate(n=Max("version"))["n"] or 0) + 1
    version = ModelVersion.objects.create(run=run, project=run.project, version=number,
                                          folder=str(result.output_dir), task=run.task, metrics=result.metrics)
    transaction.on_commit(lambda: _enqueue_consider(version.pk))
    signals.send_on_commit(signals.training_run_finished, run_id=run.pk, project_id=run.project_id,
                           status=RunStatus.SUCCEEDED)
    run.refresh_from_db()
    return run


# --- Watching and launching (beat) ----------------------------------------------------------------

def training_runs_fail_stalled(*, now=None) -> int:
    """A run whose worker stopped reporting (killed, machine lost) is marked failed, never left running."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.TRAINING_STALL_SECONDS)
    runs = TrainingRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale)
    failed = 0
    for run in runs:
        failed += TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, heartbeat_at__lt=stale).update(
            status=RunStatus.FAILED, finished_at=now,
            log=run.log + f"worker {run.worker or '?'} stopped reporting at {run.heartbeat_at:%Y-%m-%d %H:%M:%S}; marked failed\n",
        )
    return failed


def training_runs_launch_due() -> list[int]:
    """For each project whose policy is on: a run once enough labels were accepted since the last run."""
    launched = []
    for policy in TrainingPolicy.objects.filter(enabled=True).select_related("project"):
        project = policy.project
        if TrainingRun.objects.filter(project=project).exclude(status__in=FINISHED).exists():
            continue
        last = TrainingRun.objects.filter(project=project).order_by("-created_at").first()
        new = ItemDecision.objects.filter(project=project, item__state="accepted")
        if last:
            new = new.filter(decided_at__gt=last.created_at)
        if new.count() >= policy.min_new_labels:
            launched.append(training_run_launch(project=project, epochs=policy.epochs).pk)
    return launched


@transaction.atomic
def model_version_activate(*, version: ModelVersion, confirmed: bool = False) -> ModelVersion:
    """Make the version the one the prediction API serves. A version with activation concerns (lower
    headline figure than the active one, or below the floor) is activated only when confirmed."""
    concerns = selectors.activation_concerns(version)
    if concerns and not confirmed:
        raise ActivationNeedsConfirmation(concerns)
    ModelVersion.objects.filter(project=version.project, is_active=True).exclude(pk=version.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    version.refresh_from_db()
    return version
