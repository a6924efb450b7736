"""Run finetune.train in N processes under torchrun (DDP: gloo on CPU, nccl on GPU), one process included,
and follow it from the caller: the same progress and cancel contract as an in-process train().

The run's folder holds everything the processes share, so a relaunch finds it again:
  job/job.json        what to train (TrainConfig, snapshot folder, output folder, the caller's pid)
  job/started.json   {"device", "precision"} process 0 resolved ("auto" becomes cpu/cuda, fp32/bf16/fp16)
  job/progress.jsonl  one {"step", "total", "loss", "history"} line per progress report of process 0
                      (history: the curves' points logged since the previous line)
  job/CANCEL          written by the caller when should_stop() says yes; the processes stop together
  job/result.json     TrainResult of process 0; job/cancelled.json {"step", "total"} when cancelled
  job/torchrun.log    the processes' output, whose tail explains a failure
  job/torchrun.pid    the torchrun agent's process id, for an operator
  checkpoints/        Trainer's checkpoints: a relaunch resumes from the last complete one
Several hosts: see README, "Training on several processes or hosts".
"""
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from training.ml.finetune import TrainingCancelled, TrainResult

PROJECT_ROOT = Path(__file__).resolve().parents[2]
JOB = "job"
JOB_FILE, PROGRESS_FILE, CANCEL_FILE = "job.json", "progress.jsonl", "CANCEL"
RESULT_FILE, CANCELLED_FILE, LOG_FILE = "result.json", "cancelled.json", "torchrun.log"
STARTED_FILE = "started.json"
PID_FILE = "torchrun.pid"


class TrainingFailed(Exception):
    """The processes ended without a result: the tail of their output says why."""


def train_in_processes(config, snapshot_folder, output_dir, **follow) -> TrainResult:
    """Start config.processes processes on this host and wait for them; raises TrainingCancelled or
    TrainingFailed like train() would. snapshot_folder: a folder written by datasets.snapshot_save.
    follow: job_follow's callbacks and timings."""
    job = job_prepare(config, snapshot_folder, output_dir)
    with (job / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(job_command(job, config.processes), cwd=PROJECT_ROOT, env=job_environment(),
                                   stdout=log, stderr=subprocess.STDOUT)
    (job / PID_FILE).write_text(str(process.pid))
    try:
        return job_follow(process, job, **follow)
    finally:
        if process.poll() is None:  # the caller itself is being stopped: leave no orphans training
            process.kill()
            process.wait()


def relaunch(output_dir, **follow) -> TrainResult:
    """Train again what the folder's job.json describes: a run whose caller died resumes from its checkpoint."""
    from training.ml.finetune import TrainConfig

    description = json.loads((Path(output_dir) / JOB / JOB_FILE).read_text())
    return train_in_processes(TrainConfig(**description["config"]), description["snapshot"], output_dir, **follow)


def job_prepare(config, snapshot_folder, output_dir) -> Path:
    """Write job.json into the run's folder and clear what a previous launch left, checkpoints excepted."""
    job = Path(output_dir) / JOB
    job.mkdir(parents=True, exist_ok=True)
    for name in (STARTED_FILE, PROGRESS_FILE, CANCEL_FILE, RESULT_FILE, CANCELLED_FILE):
        (job / name).unlink(missing_ok=True)
    description = {"config": asdict(config), "snapshot": str(snapshot_folder), "output_dir": str(output_dir),
                   "caller_pid": os.getpid()}
    (job / JOB_FILE).write_text(json.dumps(description, indent=2))
    return job


def job_command(job, processes) -> list:
    """torchrun on this host: --standalone finds a free rendezvous port, so runs side by side do not collide."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1",
            f"--nproc-per-node={int(processes)}", "-m", "training.ml.worker", str(job)]


def job_environment() -> dict:
    # Nothing is downloaded at run time; a base model is a local folder.
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def job_follow(process, job, *, on_progress=None, on_history=None, should_stop=None, on_alive=None, on_start=None,
               poll_seconds=0.5, alive_seconds=30.0) -> TrainResult:
    """Relay progress, the curves' points and the cancel request until the processes end, then read their outcome.

    on_start(device=..., precision=...) is called once, with what process 0 resolved, before the model loads.
    on_alive() is called at most every alive_seconds while the processes live: a heartbeat that a long validation
    or export without progress keeps beating, so only a dead or hung launcher looks stalled."""
    read, alive_at = 0, time.monotonic()
    while True:
        code = process.poll()
        if on_start is not None and (job / STARTED_FILE).exists():
            on_start(**json.loads((job / STARTED_FILE).read_text()))
            on_start = None
        read = _relay_progress(job / PROGRESS_FILE, read, on_progress, on_history)
        if code is not None:
            break
        if on_alive is not None and time.monotonic() - alive_at >= alive_seconds:
            on_alive()
            alive_at = time.monotonic()
        if should_stop is not None and not (job / CANCEL_FILE).exists() and should_stop():
            (job / CANCEL_FILE).touch()
        time.sleep(poll_seconds)
    return job_outcome(job, code)


def job_outcome(job, code) -> TrainResult:
    if (job / RESULT_FILE).exists():
        data = json.loads((job / RESULT_FILE).read_text())
        return TrainResult(**{**data, "output_dir": Path(data["output_dir"])})
    if (job / CANCELLED_FILE).exists():
        data = json.loads((job / CANCELLED_FILE).read_text())
        raise TrainingCancelled(data["step"], data["total"])
    tail = (job / LOG_FILE).read_text(errors="replace")[-4000:] if (job / LOG_FILE).exists() else ""
    raise TrainingFailed(f"training processes exited with code {code}:\n{tail}")


def _relay_progress(path, read, on_progress, on_history=None) -> int:
    """Pass on the whole lines written since the last call, each line's points before its progress; returns how
    many characters were read."""
    if on_progress is None or not path.exists():
        return read
    text = path.read_text()
    complete = text[read:text.rfind("\n") + 1] if text.rfind("\n") >= read else ""
    for line in complete.splitlines():
        report = json.loads(line)
        if on_history is not None and report.get("history"):
            on_history(report["history"])
        on_progress(report["step"], report["total"], report["loss"])
    return read + len(complete)


if __name__ == "__main__":  # python -m training.ml.launcher RUN_FOLDER: relaunch by hand
    print(json.dumps(relaunch(sys.argv[1]).as_dict(), default=str))
