"""The Celery workers `make run` starts: one per queue.

A fine-tuning run holds its worker for minutes. When one worker served both queues, a 10-minute run held
back truth inference, lease expiry and every periodic job behind it (56 tasks queued, 21 of them
evaluations). The `training` queue has a worker of its own, as in production (README), so quality control
never waits for a run.

`python -m crowdlabel.workers QUEUE` runs that queue's worker (scripts/run.sh) under `supervise`: a worker that
exits on its own with an error is started again. A Redis restart ended the worker under load ("Unrecoverable error:
AttributeError('NoneType' object has no attribute 'hostname')": kombu's `restore_unacked` on a channel whose
connection was already closed) with celery and kombu 5.7.0, the newest there are; so whatever ends a worker, its
unacknowledged tasks go back to the queue and a new worker takes them.
The test of the two workers starts the same command lines.
"""

import os
import signal
import subprocess
import sys
import time

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


def supervise(argv: list[str], *, restart_delay: float = 1.0) -> int:
    """Run the worker `argv` until it is told to stop; start it again each time it exits with an error.
    SIGTERM (scripts/run.sh, a process manager) is passed on to the worker, whose warm shutdown then ends this.
    SIGINT (Ctrl-C) already reaches the worker, in the same process group, and is not sent a second time: a
    second one would make its shutdown a cold one."""
    stopping = False
    worker = None

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        if worker is not None and signum != signal.SIGINT:
            worker.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, stop)
    while True:
        worker = subprocess.Popen(argv)
        code = worker.wait()
        if stopping or code == 0:
            return code
        print(f"crowdlabel.workers: the worker exited with {code}; starting it again", file=sys.stderr, flush=True)
        time.sleep(restart_delay)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in WORKERS:
        sys.exit(f"usage: python -m crowdlabel.workers {{{','.join(WORKERS)}}}")
    sys.exit(supervise(worker_argv(sys.argv[1])))
