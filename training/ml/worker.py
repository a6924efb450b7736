"""One training process under torchrun: python -m torch.distributed.run ... -m training.ml.worker RUN/job

Reads job.json (launcher.py), trains with finetune.train, and talks to the caller through files only, so
it needs no database and runs the same on one process, N processes, or several hosts sharing the folder.
"""
import json
import os
import sys
from pathlib import Path

from training.ml import launcher
from training.ml.datasets import snapshot_load, split_texts
from training.ml.finetune import TrainConfig, TrainingCancelled, train
from training.ml.runtime import any_process, precision_name, resolve_device

CALLER_GONE = 70  # exit code when the process that launched the run (a Celery worker) is no longer there
# Training texts that calibrate the int8 cascade (onnx_export): enough to see its rare large errors, a few
# seconds on one CPU core.
CALIBRATION_TEXTS = 1000


def main(job) -> int:
    job = Path(job)
    description = json.loads((job / launcher.JOB_FILE).read_text())
    config = TrainConfig(**description["config"])
    first = int(os.environ.get("RANK", "0")) == 0
    if first:  # the precision "auto" resolves to, said before the model and data load (seconds)
        device = resolve_device(config.device)
        _write_atomically(job / launcher.STARTED_FILE,
                          {"device": device.type, "precision": precision_name(device, config.precision)})
    dataset, _manifest = snapshot_load(description["snapshot"])
    progress = ProgressFile(job / launcher.PROGRESS_FILE) if first else None
    should_stop = _stop_agreement(job / launcher.CANCEL_FILE, description["caller_pid"])
    try:
        result = train(config, dataset, description["output_dir"], should_stop=should_stop,
                       on_progress=progress and progress.write, on_history=progress and progress.hold)
    except TrainingCancelled as cancelled:
        if first:
            _write_atomically(job / launcher.CANCELLED_FILE, {"step": cancelled.step, "total": cancelled.total_steps})
        return 0
    if result is not None:
        if config.export_onnx:
            _export(result.output_dir, config.quantize_int8, split_texts(dataset["train"], CALIBRATION_TEXTS))
        _write_atomically(job / launcher.RESULT_FILE, result.as_dict())
    return 0


def _export(output_dir, quantize, calibration_texts):
    """A model that could not be exported is still a model: it is served by PyTorch, and the log says why.
    The int8 copy's fallback margin is calibrated on the run's own training texts."""
    from training.ml.onnx_export import export_onnx

    try:
        print(f"exported {export_onnx(output_dir, quantize=quantize, calibration_texts=calibration_texts)}", flush=True)
    except Exception as error:  # any exporter failure leaves the PyTorch fallback
        print(f"ONNX export failed, predictions will use PyTorch: {error!r}", flush=True)


class ProgressFile:
    """job/progress.jsonl: one line per progress report, carrying the curves' points logged since the last one,
    so the caller saves both in the same write."""

    def __init__(self, path):
        self.path, self.points = path, []

    def hold(self, points):
        self.points.extend(points)

    def write(self, step, total, loss):
        with self.path.open("a") as handle:
            handle.write(json.dumps({"step": step, "total": total, "loss": loss, "history": self.points}) + "\n")
        self.points = []


def _stop_agreement(cancel_file, caller_pid):
    """should_stop for every process: yes when the caller asked, agreed by all processes (all_reduce MAX)
    so they leave at the same step, rather than one waiting forever on the others' gradients. A run whose
    caller died (its Celery worker was killed) ends at once: nobody would record its outcome."""
    def should_stop() -> bool:
        if not _alive(caller_pid):
            os._exit(CALLER_GONE)
        return any_process(cancel_file.exists())
    return should_stop


def _alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but another user's
        return True
    return True


def _write_atomically(path, data):
    """Write then rename: the caller never reads half a file."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, default=str))
    partial.replace(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
