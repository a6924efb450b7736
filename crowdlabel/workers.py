"""The Celery workers `make run` starts: one per queue.

A fine-tuning run holds its worker for minutes. When one worker served both queues, a 10-minute run held
back truth inference, lease expiry and every periodic job behind it (56 tasks queued, 21 of them
evaluations). The `training` queue has a worker of its own, as in production (README), so quality control
never waits for a run.

`python -m crowdlabel.workers QUEUE` becomes that queue's worker (scripts/run.sh); the test of the two
workers starts the same command lines.
"""

import os
import sys

# queue -> (node name, processes). One run at a time: a run takes every core (or the GPU) it is given.
WORKERS = {
    "celery": ("worker", os.environ.get("CELERY_CONCURRENCY", "1")),
    "training": ("training", "1"),
}


def worker_argv(queue: str, *, node: str | None = None) -> list[str]:
    """The `python -m celery ...` arguments of the worker for `queue`."""
    name, concurrency = WORKERS[queue]
    return [
        sys.executable, "-m", "celery", "--quiet", "-A", "crowdlabel", "worker", "-Q", queue,
        "-n", node or f"{name}@%h", f"--concurrency={concurrency}",
        f"--loglevel={os.environ.get('CELERY_LOG_LEVEL', 'INFO')}",
    ]


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in WORKERS:
        sys.exit(f"usage: python -m crowdlabel.workers {{{','.join(WORKERS)}}}")
    argv = worker_argv(sys.argv[1])
    # exec, not a child process: scripts/run.sh stops the worker by this process id.
    os.execv(argv[0], argv)
