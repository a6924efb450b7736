"""Feedback events accepted per second through the API (POST /api/projects/{id}/feedback/, batches of 500),
with the p99 of a batch's response time, then the same batches replayed: nothing may be lost or stored twice.
By default requests go through Django's whole stack in this process (middleware, token authentication,
throttles, the JSON parser, validation, the insert), one after the other, without a socket. With --http they
go over HTTP to gunicorn started here as README's production command runs it (--workers sync workers, no
keep-alive), from --clients threads posting at once; events/s is then the whole run's wall clock, and a
batch's time its round trip. The goal is at least 5,000 events/s.

The request bodies are JSON-encoded before the clock starts: encoding them is the integrator's cost, not the
server's, and here the clients share the server's cores (each client thread used to encode its batch inside
the timed run: about 1 ms of this process's CPU per batch).

On a shared machine events/s follows whatever else runs, so the CPU spent on the timed batches is printed
too, per batch: by the gunicorn workers, by the PostgreSQL backends of this database, and by this process
(the clients; in process, all of the server but PostgreSQL). With every core on this work, events/s could be
at most `cpu_bound_events_per_s` = cores x events / CPU seconds of them all.
The throttles count in the shared cache: the database's unless CACHE_URL (or CELERY_BROKER_URL) names a
Redis, as in production.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/feedback.py
    ... bench/feedback.py --small          # CI: 10 batches
    ... bench/feedback.py --events 200000
    ... bench/feedback.py --http --workers 8 --clients 8

Past runs, their figures and what they showed: bench/results/feedback.md.
Last line: {"events_per_s": E, "p99_ms": P, "lost": 0, "duplicated": 0, "cpu_ms_per_batch": {...},
"cpu_bound_events_per_s": C} (and with --http: "http", "workers", "clients")
"""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.assignment_load import ensure_database  # its import sets the benchmarks' environment

os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
# The bench measures the API, not its rate limits: one token posts as fast as it can.
os.environ["API_RATE_FEEDBACK"] = os.environ["API_RATE_PER_ADDRESS"] = "100000000/min"
BATCH = 500


def setup():
    import django

    ensure_database()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts import services as accounts
    from accounts.models import Role, User
    from tasks.services import project_create

    organisation = accounts.organisation_default()
    project = project_create(title="bench feedback", task_type="single_label", organisation=organisation,
                             label_schema={"labels": [{"name": name} for name in ("Phone", "TV", "CPU")]},
                             item_fields=["title"])
    user, _ = User.objects.get_or_create(username="bench-feedback", defaults={"role": Role.INTEGRATOR})
    accounts.membership_add(user=user, organisation=organisation, role="integrator")
    return project, accounts.api_token_create(user=user, name="bench feedback")[1]


def post_all(client, url, bodies, token) -> list[float]:
    """Seconds per batch; any answer but 201 stops the bench."""
    took = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")
        took.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise SystemExit(f"batch refused: {response.status_code} {response.content[:500]!r}")
    return took


def post_over_http(url, bodies, token, clients) -> tuple[list[float], float]:
    """(seconds per batch, wall-clock seconds of them all), the batches posted by `clients` threads at once;
    any answer but 201 stops the bench."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(body):
        started = time.perf_counter()
        response = requests.post(url, data=body, headers=headers, timeout=60)
        if response.status_code != 201:
            raise SystemExit(f"batch refused: {response.status_code} {response.text[:500]!r}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        took = list(pool.map(post, bodies))
    return took, time.perf_counter() - started


# --- CPU spent, read from /proc (Linux): what bounds events/s on a machine others share ---------------

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return found


def _backends() -> list[int]:
    """The PostgreSQL backends connected to this database (this process's own idles while the clients post)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return [pid for (pid,) in cursor.fetchall()]


class CpuMeter:
    """CPU seconds of the gunicorn workers (children of `server`), the PostgreSQL backends of this database and
    this process, between start() and stop(). A backend or worker started meanwhile counts from zero."""

    def __init__(self, server=None):
        self.server = server

    def _read(self) -> dict[str, dict[int, float]]:
        read = {"postgres": {pid: _cpu_seconds(pid) for pid in _backends()}}
        if self.server is not None:
            read["gunicorn"] = {pid: _cpu_seconds(pid) for pid in _children(self.server.pid)}
        return read

    def start(self):
        self._before, self._bench = self._read(), time.process_time()

    def stop(self) -> dict[str, float]:
        after, spent = self._read(), {"bench": time.process_time() - self._bench}
        for side, now in after.items():
            spent[side] = sum(seconds - self._before[side].get(pid, 0.0) for pid, seconds in now.items())
        return spent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small", action="store_true", help="5,000 events (CI)")
    parser.add_argument("--http", action="store_true", help="over HTTP to gunicorn started here")
    parser.add_argument("--workers", type=int, default=8, help="gunicorn sync workers (--http)")
    parser.add_argument("--clients", type=int, default=8, help="threads posting at once (--http)")
    args = parser.parse_args()
    total = 5000 if args.small else args.events
    project, token = setup()
    from django.test import Client
    from django.urls import reverse

    from tests.training.feedback_events import feedback_event
    from training.models import FeedbackEvent

    events = [feedback_event(n) for n in range(total)]
    batches = [json.dumps({"events": events[start:start + BATCH]}) for start in range(0, total, BATCH)]
    path = reverse("api-project-feedback", args=[project.pk])
    server, meter = None, CpuMeter()
    try:
        if args.http:
            from bench.assignment_load import PORT, start_server

            server = start_server(args.workers, 1)
            url = f"http://127.0.0.1:{PORT}{path}"
            post_over_http(url, batches[:args.clients], token, args.clients)  # warm-up: every worker's imports
            meter.server = server
            meter.start()
            took, wall = post_over_http(url, batches, token, args.clients)
            spent = meter.stop()
            post_over_http(url, batches, token, args.clients)  # the replay: every event already stored
        else:
            client = Client(HTTP_HOST="127.0.0.1")
            post_all(client, path, batches[:1], token)  # warm-up: imports, prepared plans; replayed like the rest
            meter.start()
            took = post_all(client, path, batches, token)
            spent = meter.stop()
            wall = sum(took)
            post_all(client, path, batches, token)  # the replay: every event already stored
        stored = FeedbackEvent.objects.filter(project=project)
        rows, distinct = stored.count(), stored.values("event_id").distinct().count()
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        project.delete()
    took.sort()
    p99 = took[min(len(took) - 1, int(round(0.99 * (len(took) - 1))))]
    how = f"over HTTP, {args.workers} gunicorn workers, {args.clients} clients" if args.http else "in process"
    print(f"{total} events in {len(batches)} batches of {BATCH} ({how}): {wall:.2f} s; replayed once", flush=True)
    figures = {"events_per_s": round(total / wall), "p99_ms": round(1000 * p99, 1),
               "lost": total - distinct, "duplicated": rows - distinct,
               "cpu_ms_per_batch": {side: round(1000 * seconds / len(batches), 1) for side, seconds in spent.items()}}
    figures["cpu_bound_events_per_s"] = round((os.cpu_count() or 1) * total / sum(spent.values()))
    if args.http:
        figures.update(http=True, workers=args.workers, clients=args.clients)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
