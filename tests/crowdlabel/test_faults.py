"""Fault tests against real services that the tests start and break themselves: a Redis of their own on another
port (never the machine's shared one), a supervised Celery worker and beat on the test database.

- Redis restarted while the worker holds tasks: the worker lives on (or is started again by its supervisor) and
  every fully answered item gets decided.
- The worker killed mid-evaluation: every fully answered item is decided within 2 minutes (the periodic
  re-evaluation, here every 3 s, takes up what the killed worker held).
- The database unreachable for a few seconds under load (gunicorn reaching PostgreSQL through a TCP proxy the test
  cuts, 10 annotators doing next + submit over HTTP): clients get JSON 503 with Retry-After, never a 500 or HTML;
  every acknowledged answer is stored, nothing is half-stored (slot counts hold); the server recovers by itself.
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.periodic import periodic_tasks_install
from annotations.services import annotation_submit
from tasks import assignment as assignment_service
from annotations.models import Annotation
from tasks.models import Assignment, AssignmentState, Item, ItemState, ProjectStatus
from tests.factories import token_for
from tests.processes import stop_and_print
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker
from tests.tcp_proxy import TcpProxy

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


@pytest.mark.parametrize("reevaluate_every", [30])  # not before the kill: the re-evaluation is what recovers
def test_a_worker_killed_mid_evaluation(worker_and_beat, redis_server, project_ids):
    supervisor = worker_and_beat["worker"]
    # On a busy machine the worker takes longer than a few seconds to start: kill it only once it runs.
    _wait_for(lambda: _celery_worker_pid(supervisor.pid), timeout=90, what="the Celery worker to start")
    time.sleep(5)
    # Due in 5 s: the worker takes them at once and holds them unacknowledged, so the kill is sure to catch
    # them in hand (sent for now, a fast worker had decided every item before the kill came).
    _send_evaluations(redis_server.url, project_ids, countdown=5)
    time.sleep(1)
    assert _undecided(project_ids) > 0
    killed = _celery_worker_pid(supervisor.pid)
    os.kill(killed, signal.SIGKILL)  # no warm shutdown: what it held stays unacknowledged in Redis
    started = time.monotonic()

    _wait_for(lambda: _undecided(project_ids) == 0, timeout=120, what="every item to be decided")
    print(f"every item decided {time.monotonic() - started:.1f} s after the kill")
    _wait_for(lambda: _celery_worker_pid(supervisor.pid) not in (None, killed), timeout=60,
              what="the supervisor to start the worker again")


# --- The database unreachable under load --------------------------------------------------------------------------

OUTAGE_SECONDS = 5


@pytest.fixture
def database_proxy():
    db = connection.settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.start()
    yield proxy
    proxy.cut()


@pytest.fixture
def web_server(services_env, database_proxy):
    """gunicorn (sync workers, as README's production command) on the test database through the proxy."""
    db, port = connection.settings_dict, _free_port()
    env = dict(services_env, DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{database_proxy.port}/{db['NAME']}",
               STATIC_MANIFEST="0", API_RATE_PER_TOKEN="100000/min", API_RATE_PER_ADDRESS="100000/min")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "crowdlabel.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "4", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for(lambda: _answers_http(port), timeout=30, what="gunicorn to answer")
    yield server, port
    stop_and_print({"gunicorn": server}, timeout=30)


def _answers_http(port) -> bool:
    try:
        return _request(port, "GET", "/api/projects/", token=None)[0] == 401
    except OSError:
        return False


def _request(port, method, path, *, token, body=None):
    """(status, headers, parsed JSON body or the raw text) of one request on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})}
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return response.status, dict(response.getheaders()), parsed
    finally:
        conn.close()


class Annotator(threading.Thread):
    """Next + submit in a loop over HTTP, as the labelling page does; a 503 is retried shortly (the same submit
    again: a retried submission is idempotent). Records every answer and every acknowledged (assignment, label)."""

    def __init__(self, port, token, project_id, stop):
        super().__init__(daemon=True)
        self.port, self.token, self.project_id, self.stop = port, token, project_id, stop
        self.responses, self.acknowledged, self.failures = [], [], []

    def run(self):
        assignment, label = None, random.choice(["Phone", "TV", "CPU"])
        while not self.stop.is_set():
            try:
                if assignment is None:
                    status, body = self._call("POST", f"/api/projects/{self.project_id}/next/")
                    if status == 200 and body.get("assignment"):
                        assignment = body["assignment"]["id"]
                    elif status != 503:
                        time.sleep(0.1)  # no work right now
                    continue
                status, body = self._call("POST", f"/api/assignments/{assignment}/submit/",
                                          {"answer": label, "next": False})
                if status in (200, 201):
                    self.acknowledged.append((time.monotonic(), assignment, label))
                    assignment = None
            except OSError as error:  # no HTTP answer at all: the server itself failed the client
                self.failures.append(repr(error))
                time.sleep(0.2)

    def _call(self, method, path, body=None):
        status, headers, parsed = _request(self.port, method, path, token=self.token, body=body)
        self.responses.append((status, headers.get("Content-Type"), headers.get("Retry-After"), parsed))
        if status == 503:
            time.sleep(0.2)  # a real client waits Retry-After; shorter here to keep the test short
        return status, parsed


def _slot_counts_hold(project) -> list:
    """Items whose counters disagree with their rows: open slots + assignments holding or answered = the overlap,
    submitted_count = the answers stored."""
    wrong = []
    for item in Item.objects.filter(project=project):
        taken = Assignment.objects.filter(item=item, state__in=[
            AssignmentState.LIVE, AssignmentState.QUEUED, AssignmentState.SUBMITTED]).count()
        answers = Annotation.objects.filter(item=item).count()
        if item.open_slots + taken != project.overlap or item.submitted_count != answers:
            wrong.append((item.pk, item.open_slots, taken, item.submitted_count, answers))
    return wrong


def test_the_database_unreachable_for_a_few_seconds_under_load(services_env, database_proxy, web_server):
    server, port = web_server
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3, max_overlap=3)
    ItemFactory.create_batch(300, project=project)
    stop = threading.Event()
    annotators = [Annotator(port, token_for(verified_worker()), project.pk, stop) for _ in range(10)]
    for annotator in annotators:
        annotator.start()

    time.sleep(3)  # under load
    database_proxy.cut()
    time.sleep(OUTAGE_SECONDS)
    database_proxy.restore()
    restored = time.monotonic()
    # Recovers by itself: every annotator gets answers acknowledged again, without anyone restarting anything.
    _wait_for(lambda: all(any(at > restored for at, _, _ in a.acknowledged) for a in annotators), timeout=30,
              what="every annotator to be answered again after the outage")
    stop.set()
    for annotator in annotators:
        annotator.join(timeout=60)

    responses = [response for annotator in annotators for response in annotator.responses]
    assert [f for a in annotators for f in a.failures] == []
    assert {status for status, *_ in responses} <= {200, 201, 503}, "only answers, acknowledgements and 503"
    unavailable = [response for response in responses if response[0] == 503]
    assert unavailable, "the outage never reached the clients"
    for _, content_type, retry_after, body in unavailable:
        assert content_type == "application/json" and retry_after and body["code"] == "service_unavailable"
    acknowledged = {assignment: label for annotator in annotators for _, assignment, label in annotator.acknowledged}
    stored = dict(Annotation.objects.filter(assignment_id__in=acknowledged).values_list("assignment_id", "answer"))
    assert stored == acknowledged, "an acknowledged answer was lost"
    # Nothing half-stored: an answer always with its submitted assignment and the item's counters.
    assert Annotation.objects.filter(project=project).exclude(assignment__state=AssignmentState.SUBMITTED).count() == 0
    assert Assignment.objects.filter(project=project, state=AssignmentState.SUBMITTED, annotation__isnull=True).count() == 0
    assert _slot_counts_hold(project) == []
    assert server.poll() is None, "gunicorn ended"
    print(f"{len(responses)} requests, {len(unavailable)} answered 503, {len(acknowledged)} answers acknowledged")
