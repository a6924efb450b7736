"""Fine-tuning runs: launch, execute (in the Celery `training` queue), cancel, fail a dead worker's run,
and turn a succeeded run into a model version."""

import json
import socket
import traceback
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from quality.models import ItemDecision
from tasks.models import Project, TaskType

from . import selectors, signals, snapshots
from .models import FINISHED, BaseModel, DatasetSnapshot, ModelVersion, RunStatus, RunTask, TrainingPolicy, TrainingRun
from .selectors import run_folder

HYPERPARAMETERS = ("epochs", "learning_rate", "batch_size", "max_length", "seed", "device", "base_model", "precision",
                   "processes", "gradient_accumulation", "checkpoint_steps", "early_stopping_patience")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


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
    if hyperparameters.get("precision", "auto") not in PRECISIONS:
        raise TrainingError(f"precision must be one of {', '.join(PRECISIONS)}.")
    hyperparameters["base_model"] = _checked_base_model(hyperparameters.get("base_model"))
    if snapshot is None:
        try:
            snapshot = snapshots.snapshot_create(project=project, created_by=created_by)
        except ValueError as error:
            raise TrainingError(str(error)) from error
    run = TrainingRun.objects.create(project=project, snapshot=snapshot, task=_task_for(project),
                                     created_by=created_by, **hyperparameters)
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _checked_base_model(base) -> BaseModel:
    """A registered entry (none given: the packaged MiniLM), never a path typed at launch."""
    if base is None or base == "":
        base = selectors.base_model_default()
        if base is None:
            raise TrainingError("No base model is registered.")
    if not isinstance(base, BaseModel):
        raise TrainingError("Choose a registered base model; a run cannot name a folder.")
    if not (Path(base.folder) / "config.json").exists():
        raise TrainingError(f"Base model {base} is gone from {base.folder} (no config.json).")
    return base


def base_model_register(*, name: str, folder: str, licence: str = "", notes: str = "") -> BaseModel:
    """Register a local Hugging Face folder as a base model. The path is resolved (no `..` left, links
    followed) and must hold a config.json; its size is measured now, for the admin's list."""
    from training.ml import folder_size

    resolved = base_model_folder_checked(folder)
    if BaseModel.objects.filter(folder=str(resolved)).exists():
        raise TrainingError(f"{resolved} is already registered.")
    return BaseModel.objects.create(name=name, folder=str(resolved), licence=licence, notes=notes,
                                    size_bytes=folder_size(resolved))


# What a run loads from a base model's folder (save_pretrained's files): weights in one of these forms, and a
# tokenizer. Checked when it is registered, so a folder that cannot train is refused there, not minutes into a run.
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt")


def base_model_folder_checked(folder: str) -> Path:
    """The resolved folder, or TrainingError: absolute, and a Hugging Face model folder once resolved (a
    config.json naming its model_type, PyTorch weights, a tokenizer)."""
    given = Path(folder)
    if not given.is_absolute():
        raise TrainingError("The folder must be an absolute path.")
    resolved = given.resolve()
    if not resolved.is_dir():
        raise TrainingError(f"{resolved} is not a folder on this server.")
    if not (resolved / "config.json").is_file():
        raise TrainingError(f"{resolved} is not a local Hugging Face model folder (no config.json).")
    try:
        config = json.loads((resolved / "config.json").read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise TrainingError(f"{resolved}/config.json cannot be read as JSON: {error}") from error
    if not isinstance(config, dict) or not config.get("model_type"):
        raise TrainingError(f"{resolved}/config.json names no model_type: not a transformers model configuration.")
    for wanted, what in ((WEIGHT_FILES, "weights"), (TOKENIZER_FILES, "tokenizer")):
        if not any((resolved / name).is_file() for name in wanted):
            raise TrainingError(f"{resolved} has no {what} ({', '.join(wanted)}).")
    return resolved


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


@transaction.atomic
def training_run_resume(*, run: TrainingRun) -> TrainingRun:
    """Queue a failed run again (its worker died or stalled); it goes on from its last checkpoint. A run
    without a checkpoint starts over, which is what a relaunch would do anyway."""
    resumed = TrainingRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
        status=RunStatus.QUEUED, finished_at=None, cancel_requested=False, heartbeat_at=None,
        # the failed attempt's last report and precision are not this attempt's: until its processes start and
        # report, the page says it is starting (from its checkpoint), not "step 71 of 120"
        progress_step=0, progress_total=0, precision_used="", device_used="",
        log=run.log + f"relaunched at {timezone.now():%Y-%m-%d %H:%M:%S}\n",
    )
    if not resumed:
        raise TrainingError(f"Run {run.pk} is {run.status}: only a failed run can be resumed.")
    transaction.on_commit(lambda: _enqueue(run.pk))
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
    """Always through torchrun, with one process or many: one code path whatever the run asks for."""
    from training.ml.finetune import TrainConfig
    from training.ml.launcher import train_in_processes

    config = TrainConfig(
        task=run.task, base_model=run.base_model.folder, epochs=run.epochs, learning_rate=run.learning_rate,
        batch_size=run.batch_size, max_length=run.max_length, seed=run.seed, device=run.device,
        precision=run.precision, processes=run.processes, gradient_accumulation=run.gradient_accumulation,
        checkpoint_steps=run.checkpoint_steps, early_stopping_patience=run.early_stopping_patience,
        export_onnx=settings.TRAINING_EXPORT_ONNX, quantize_int8=settings.TRAINING_ONNX_INT8,
    )
    reporter = RunReporter(run)
    return train_in_processes(config, run.snapshot.folder, run_folder(run), on_progress=reporter.progress,
                              on_history=reporter.hold, should_stop=_stop_checker(run.pk),
                              on_alive=reporter.beat, on_start=reporter.started, alive_seconds=HEARTBEAT_SECONDS)


# The launcher beats a running run's heartbeat this often while its processes live, progress or not (a long
# validation or ONNX export reports none): far below TRAINING_STALL_SECONDS, far above a write per poll.
HEARTBEAT_SECONDS = 30

# Loss points the curves keep while a run trains (one a second, so many for a run of hours); validation points are
# all kept. The run's full history is saved when it succeeds.
HISTORY_POINTS = 1000


class RunReporter:
    """A run's progress and curves, saved together by each progress report (one write, not one per step), so the
    curves show while it trains and stay after it fails or is cancelled. A resumed run keeps the points up to the
    checkpoint it goes on from, as Trainer's own history does, and adds its new ones."""

    def __init__(self, run: TrainingRun):
        resumed_at = selectors.resume_step(run) or 0
        self.run_id = run.pk
        self.history = [row for row in run.history or [] if row.get("step", 0) <= resumed_at]

    def hold(self, points: list) -> None:
        self.history.extend(points)

    def started(self, *, device: str, precision: str, **_resolved) -> None:
        """The processes resolved the run's device ("auto" becomes cpu or cuda) and precision ("auto" becomes fp32 on
        a CPU, bf16 or fp16 on a GPU)."""
        TrainingRun.objects.filter(pk=self.run_id).update(device_used=device, precision_used=precision)

    def beat(self) -> None:
        """The processes live: a run already marked failed is not brought back by it."""
        TrainingRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())

    def progress(self, step: int, total: int, loss: float) -> None:
        TrainingRun.objects.filter(pk=self.run_id).update(
            progress_step=step, progress_total=total, loss=loss, heartbeat_at=timezone.now(),
            history=history_thinned(self.history, HISTORY_POINTS))


def history_thinned(history: list, limit: int) -> list:
    """Every validation point and at most about `limit` training-loss points, evenly spread, the last one kept."""
    losses = [row for row in history if "validation_loss" not in row]
    if len(losses) <= limit:
        return history
    stride = -(-len(losses) // limit)
    kept = {id(row) for row in losses[::stride]} | {id(losses[-1])}
    return [row for row in history if "validation_loss" in row or id(row) in kept]


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
    resumed = f", resumed from {Path(result.resumed_from).name}" if result.resumed_from else ""
    TrainingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(), metrics=metrics, output_dir=str(result.output_dir),
        history=result.history, precision_used=result.precision, device_used=result.device,
        progress_step=result.steps, progress_total=result.steps,
        log=run.log + (f"trained {result.steps} steps on {result.device} ({result.precision}, {result.processes} process(es))"
                       f" in {result.wall_seconds:.1f} s{resumed}\n"),
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
    stale = selectors.stall_cutoff(now)
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
