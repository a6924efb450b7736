"""crowdlabel.workers.supervise: a worker that dies is started again; one told to stop is not."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from crowdlabel.workers import supervise

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_that_exits_with_an_error_is_started_again(tmp_path):
    runs = tmp_path / "runs"
    # A stand-in worker: the first two runs fail, as the crashed Celery worker does (exit 1), the third ends well.
    script = (f"import pathlib, sys; p = pathlib.Path({str(runs)!r}); p.write_text(p.read_text() + 'x' "
              "if p.exists() else 'x'); sys.exit(0 if len(p.read_text()) == 3 else 1)")
    assert supervise([sys.executable, "-c", script], restart_delay=0) == 0
    assert runs.read_text() == "xxx"


def test_sigterm_reaches_the_worker_and_ends_the_supervisor(tmp_path):
    marker = tmp_path / "terminated"
    worker = (f"import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: "
              f"(pathlib.Path({str(marker)!r}).write_text('warm'), sys.exit(0))); time.sleep(60)")
    code = f"import sys; from crowdlabel.workers import supervise; sys.exit(supervise([sys.executable, '-c', {worker!r}]))"
    supervisor = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    time.sleep(2)  # both started
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=30) == 0
    assert marker.read_text() == "warm"
