"""Fault tests against real services that the tests start and break themselves: a Redis of their own on another
port (never the machine's shared one), a supervised Celery worker and beat on the test database.

- Redis restarted while the worker holds tasks: the worker lives on (or is started again by its supervisor) and
  every fully answered item gets decided.
- The worker killed mid-evaluation: every fully answered item is decided within 2 minutes (the periodic
  re-evaluation, here every 3 s, takes up what the killed worker held).
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.periodic import periodic_tasks_install
from annotations.services import annotation_submit
from tasks import assignment as assignment_service
from tasks.models import Item, ItemState, ProjectStatus
from tests.processes import stop_and_print
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_assignment import verified_worker

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (CI installs it)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class OwnRedis:
    """A redis-server of the test's own, without persistence: a restart loses what it held, as a crash would."""

    def __init__(self, port: int):
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(self._answers, timeout=10, what="redis-server to answer")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def redis_server():
    server = OwnRedis(_free_port())
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def services_env(transactional_db, redis_server):
    db = connection.settings_dict
    return dict(
        os.environ, CELERY_BROKER_URL=redis_server.url, CACHE_URL=redis_server.url, OMP_NUM_THREADS="1",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        QUALITY_EVALUATION_DEBOUNCE_SECONDS="1", DJANGO_SETTINGS_MODULE="crowdlabel.settings",
    )


@pytest.fixture
def reevaluate_every():
    return 3


@pytest.fixture
def project_ids(services_env, monkeypatch):
    return _fully_answered_undecided_items(monkeypatch)


@pytest.fixture
def worker_and_beat(services_env, project_ids, reevaluate_every):
    """`make run`'s supervised `celery` worker and beat, with the re-evaluation every `reevaluate_every` seconds,
    first run one period after the start."""
    periodic_tasks_install({"re-evaluate": ("quality.reevaluate_undecided", reevaluate_every)})
    PeriodicTask.objects.update(last_run_at=timezone.now())
    started = {
        "worker": subprocess.Popen([sys.executable, "-m", "crowdlabel.workers", "celery"], cwd=ROOT, env=services_env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        "beat": subprocess.Popen([sys.executable, "-m", "celery", "-A", "crowdlabel", "beat", "--pidfile=",
                                  "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
                                 cwd=ROOT, env=services_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True),
    }
    yield started
    stop_and_print(started, timeout=30)


def _fully_answered_undecided_items(monkeypatch, *, projects=4, items=4) -> list[int]:
    """Items with all their answers whose evaluations were never sent (as if lost): (project ids)."""
    monkeypatch.setattr("quality.services.project_evaluation_schedule", lambda **kwargs: False)
    project_ids = []
    for _ in range(projects):
        project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3, max_overlap=3,
                                 accept_confidence=0.5)
        ItemFactory.create_batch(items, project=project)
        workers = [verified_worker() for _ in range(3)]
        for worker in workers:
            for _ in range(items):
                got = assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(1))
                annotation_submit(worker=worker, assignment_id=got.assignment.pk, answer="TV")
        project_ids.append(project.pk)
    monkeypatch.undo()
    assert _undecided(project_ids) == projects * items
    return project_ids


def _undecided(project_ids) -> int:
    return Item.objects.filter(project_id__in=project_ids, state=ItemState.COLLECTING).count()


def _send_evaluations(broker_url, project_ids, *, countdown):
    app = Celery("fault-test", broker=broker_url, set_as_current=False)
    for pk in project_ids:
        app.send_task("quality.evaluate_project", args=[pk], countdown=countdown)
    app.close()


def _celery_worker_pid(supervisor_pid: int) -> int | None:
    """The Celery worker's main process: the supervisor's child."""
    children = Path(f"/proc/{supervisor_pid}/task/{supervisor_pid}/children")
    pids = children.read_text().split() if children.exists() else []
    return int(pids[0]) if pids else None


@pytest.mark.parametrize("reevaluate_every", [20])  # not before the restart: the held tasks are what it breaks
def test_a_redis_restart_while_the_worker_holds_tasks(worker_and_beat, redis_server, project_ids):
    supervisor = worker_and_beat["worker"]
    time.sleep(5)  # the worker is up and consuming
    # Evaluations due in 8 s: the worker takes them at once and holds them, unacknowledged, until then.
    _send_evaluations(redis_server.url, project_ids, countdown=8)
    time.sleep(2)
    redis_server.stop()
    time.sleep(3)
    redis_server.start()  # empty: what it held is lost, the worker's unacknowledged tasks included

    _wait_for(lambda: _undecided(project_ids) == 0, timeout=90, what="every item to be decided")
    assert supervisor.poll() is None, "the supervised worker ended"
    assert _celery_worker_pid(supervisor.pid), "no Celery worker runs under the supervisor"


def test_a_worker_killed_mid_evaluation(worker_and_beat, redis_server, project_ids):
    supervisor = worker_and_beat["worker"]
    time.sleep(5)
    _send_evaluations(redis_server.url, project_ids, countdown=0)
    time.sleep(0.5)
    killed = _celery_worker_pid(supervisor.pid)
    os.kill(killed, signal.SIGKILL)  # no warm shutdown: what it held stays unacknowledged in Redis
    started = time.monotonic()

    _wait_for(lambda: _undecided(project_ids) == 0, timeout=120, what="every item to be decided")
    print(f"every item decided {time.monotonic() - started:.1f} s after the kill")
    assert _celery_worker_pid(supervisor.pid) not in (None, killed), "the worker was not started again"
