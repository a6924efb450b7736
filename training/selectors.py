"""Reads of the training tables: a model's headline figure, and what speaks against activating a version."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from training.ml.checkpoints import checkpoint_step, resume_checkpoint

from .models import FINISHED, BaseModel, ModelVersion, RunTask, TrainingRun

# The one figure a version is judged by, per task: macro-F1 weighs every label alike (accuracy hides a
# label the model never predicts); entity F1 counts a span only with its exact type and extent.
HEADLINE_METRIC = {RunTask.SEQUENCE: "macro_f1", RunTask.TOKEN: "f1"}
METRIC_NAMES = {"macro_f1": "macro-F1", "f1": "entity F1", "accuracy": "accuracy", "precision": "precision",
                "recall": "recall", "token_accuracy": "token accuracy"}


def stall_cutoff(now=None):
    """A running run whose last heartbeat is older than this is stalled: the periodic check marks it failed, and then
    it can be resumed. Its launcher beats while its processes live, so only a dead or hung one stalls."""
    return (now or timezone.now()) - timedelta(seconds=settings.TRAINING_STALL_SECONDS)


def stalls_at(heartbeat_at):
    """When a running run with this last heartbeat counts as stalled, if no other beat comes (stall_cutoff's rule)."""
    return heartbeat_at + timedelta(seconds=settings.TRAINING_STALL_SECONDS)


def run_folder(run: TrainingRun) -> Path:
    """The run's own folder: checkpoints, the torchrun job files, then the model. Fixed per run, so a
    relaunch finds the checkpoints."""
    return Path(settings.TRAINING_DIR) / "models" / f"run-{run.pk}"


def resume_step(run: TrainingRun) -> int | None:
    """The step a resume of this run goes on from: its last complete checkpoint's; None when it has none (it would
    train again from the start). Not the run's last progress report: a worker killed between a checkpoint and
    the report that follows it leaves a checkpoint later than the report (step 80 saved, step 71 reported)."""
    found = resume_checkpoint(run_folder(run))
    return checkpoint_step(found) if found else None


def run_precision(run: TrainingRun) -> str:
    """The precision asked for and the one used: "auto → fp32" once the run's processes resolved it (fp32 on a
    CPU, bf16 or fp16 on a GPU: training.ml.runtime.autocast_dtype), "auto (decided at start)" before."""
    return _asked_and_used(run.precision, run.precision_used, run.status)


def run_device(run: TrainingRun) -> str:
    """The device asked for and the one used, as run_precision says it: "auto → cpu", "auto (decided at start)";
    "cuda (2 processes)" where the run trains on more than one (one GPU each under torchrun)."""
    said = _asked_and_used(run.device, run.device_used, run.status)
    return f"{said} ({run.processes} processes)" if run.processes > 1 else said


def _asked_and_used(asked: str, used: str, status: str) -> str:
    """A setting the run's processes resolve when they start ("auto" becomes what this machine has)."""
    if used:
        return asked if used == asked else f"{asked} → {used}"
    if asked != "auto":
        return asked  # taken as asked
    return "auto (not recorded)" if status in FINISHED else "auto (decided at start)"


@dataclass(frozen=True)
class Headline:
    metric: str  # the key in the split's metrics, e.g. "macro_f1"
    value: float
    split: str  # "test", or "validation" where the test split was empty

    def __str__(self):
        where = "" if self.split == "test" else f" ({self.split})"
        return f"{METRIC_NAMES.get(self.metric, self.metric)} {self.value:.2f}{where}"

    def as_dict(self) -> dict:
        return {"metric": self.metric, "value": self.value, "split": self.split}


def headline(task: str, metrics: dict) -> Headline | None:
    """The task's headline metric on the test split, else on validation (a tiny data set may have no test
    rows); None for a version without either. `metrics` is {"validation": {...}, "test": {...}}."""
    name = HEADLINE_METRIC.get(task)
    for split in ("test", "validation"):
        value = (metrics or {}).get(split, {}).get(name)
        if value is not None:
            return Headline(name, float(value), split)
    return None


def activation_floor() -> float:
    return settings.TRAINING_ACTIVATION_FLOOR


def activation_concerns(version: ModelVersion) -> list[str]:
    """Reasons to ask a person to confirm before this version serves predictions: its headline figure is
    below the floor, lower than the active version's, or unknown. Empty when nothing speaks against it."""
    if version.is_active:
        return []
    figure = headline(version.task, version.metrics)
    if figure is None:
        return [f"v{version.version} has no test or validation figure to judge it by."]
    concerns = []
    floor = activation_floor()
    if figure.value < floor:
        concerns.append(f"v{version.version}'s {figure} is below the floor of {floor:.2f}.")
    active = ModelVersion.objects.filter(project_id=version.project_id, is_active=True).first()
    current = headline(active.task, active.metrics) if active else None
    if current is not None and current.metric == figure.metric and figure.value < current.value:
        concerns.append(f"v{version.version}'s {figure} is lower than the active v{active.version}'s {current}.")
    return concerns


def base_model_default() -> BaseModel | None:
    """The packaged MiniLM, registered at install; a run that names no base model starts from it."""
    from training.ml import PACKAGED_MODEL_NAME

    return BaseModel.objects.filter(name=PACKAGED_MODEL_NAME).first()


COMPARED_SETTINGS = ("epochs", "learning_rate", "batch_size", "gradient_accumulation", "max_length", "processes", "device",
                     "precision")


def version_comparison_rows(version: ModelVersion) -> dict:
    """{row name: text} of one version for the side-by-side page: how it was trained and what it scored."""
    run, result = version.run, version.run.metrics or {}
    rows = {"headline": str(headline(version.task, version.metrics) or "—"), "base model": str(run.base_model),
            **{name.replace("_", " "): str(getattr(run, name)) for name in COMPARED_SETTINGS}}
    rows["device"], rows["precision"] = run_device(run), run_precision(run)
    rows["steps"] = str(result.get("steps", "—"))
    rows["samples/s"] = f"{result['samples_per_s']:.1f}" if "samples_per_s" in result else "—"
    rows["resumed from"] = (result.get("resumed_from") or "—").rsplit("/", 1)[-1]
    rows["served by (CPU)"] = serving_description(version)
    for split in ("validation", "test"):
        figures = (version.metrics or {}).get(split) or {}
        for key in ("macro_f1", "accuracy", "f1", "precision", "recall"):
            if key in figures:
                rows[f"{split} {METRIC_NAMES[key]}"] = f"{figures[key]:.3f}"
    return rows


def serving_description(version: ModelVersion) -> str:
    """What answers /predict/ for this version on a CPU host: ONNX Runtime (int8 or fp32) or PyTorch."""
    from training.ml.serving import BACKENDS, cpu_backend

    if not Path(version.folder).is_dir():
        return "— (its files are not on this server)"
    return BACKENDS[cpu_backend(version.folder)]
