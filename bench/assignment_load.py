"""Assignment under load, over HTTP, against the real server.

Starts gunicorn (several workers) on PostgreSQL, creates a published project of 100,000 items and 32
verified annotators, then drives the server with 32 concurrent simulated annotators doing next + submit for
60 s. Prints assignments/s, p50/p95/p99 latency of every request, and duplicates (slots handed twice: must
be 0). Then the same 32-way load against a bare Django view that reads one row by primary key, through the
same middleware, as the ceiling on this machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/assignment_load.py

A 5 s round first warms the servers up (database connections, imports, query plans) and is not counted.
Then the two loads alternate in rounds (--rounds 4: 15 s of each, four times) so that drift in a shared
machine's speed affects both alike.

In that closed loop each annotator asks again the moment it is answered, so the mean latency is the number
of annotators over the request rate (Little's law: 32 / 320 requests/s = 100 ms) whatever the server does;
a p99 under 100 ms there needs more requests/s than the bare view itself serves. So the goal "at least 50%
of the ceiling with p99 under 100 ms" is also measured as an open loop: the 32 annotators start cycles on a
fixed schedule adding up to half the ceiling's request rate, and latency counts from each scheduled start,
so a slow answer is charged to the cycles it delays; then at 40%, 30% and 20% of it.
`p99_under_100ms_up_to` is the largest of those shares served in full with p99 under 100 ms.

What decides that p99 on this 2-core machine is CPU. Measured per request over every process (10 s closed
loops, three each): 4.2 to 5.1 ms of CPU for a next or a submit against 2.4 to 2.5 ms for the bare view;
the gunicorn workers 2.6 to 3.3 ms against 1.7, PostgreSQL 1.2 to 1.4 ms against 0.35 (two writing
statements and two commits per cycle, and the index entries of the item, assignment and answer rows they
write). Half of the ceiling's request rate therefore keeps both cores 90 to 100% busy, and a dip in the
machine's speed or a burst of extra work builds a queue that takes seconds to drain. In the runs that
missed the goal the slow requests came in one or two such bursts of 1 to 7 s, most of them starting within
2 s of a vacuum of the item or assignment table: a vacuum changes the table's statistics, and PostgreSQL
then planned each prepared statement afresh five times in every server process. The connections now keep
each statement's one generic plan (`plan_cache_mode`, crowdlabel/settings.py). Half-ceiling p99 in the
full runs: 61.9, 55.4, 241.6, 66.8, 83.3 and 493.7 ms before that change; 87.0, 42.0, 39.6 and 30.5 ms
after it. Of the remaining bursts, the larger ones in repeats at that rate followed a checkpoint (the
first write to each page after one logs the whole page): p99 127 and 138 ms right after a CHECKPOINT, 57
and 58 ms without.

The periodic job that vacuums the item and assignment tables (`tasks.vacuum`) runs beside the load at its
beat period, as Celery beat runs it in production: without it, the old row versions every claim leaves
behind slow the claims down by a third within a minute (autovacuum is off on this machine's PostgreSQL).
Label Studio's tables get no such job: it ships none, and its requests take seconds for other reasons.

Options: --seconds 60 --items 100000 --annotators 32 --workers 8 --threads 1 --rounds 4 --open-seconds 20.
Last line: JSON.

Label Studio: when its own venv exists (`python3.11 -m venv bench/.venv-label-studio &&
bench/.venv-label-studio/bin/pip install label-studio==1.23.2 gunicorn`; never a project dependency), the
same 32 annotators run next (GET /api/projects/{id}/next/) + submit (POST /api/tasks/{id}/annotations/)
against it too, in the same rounds, on its own PostgreSQL database with the same number of items and
overlap 3, under gunicorn with the same workers and threads. Without that venv, label_studio_per_s is null.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crowdlabel_bench")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
PORT = 8765
LS_PORT = 8766
WARM_UP_SECONDS = 5
CEILING_FRACTIONS = (0.5, 0.4, 0.3, 0.2)  # the open loops' rates, as shares of the ceiling's requests/s
LS_PYTHON = ROOT / "bench" / ".venv-label-studio" / "bin" / "python"


# --- A minimal keep-alive HTTP/1.1 client: the load generator must not be the bottleneck ------------

class Connection:
    def __init__(self, token, port=PORT):
        self.token, self.port, self.reader, self.writer = token, port, None, None

    async def request(self, method, path, body=None):
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            payload = json.dumps(body).encode() if body is not None else b""
            head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {self.token}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
            try:
                self.writer.write(head.encode() + payload)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    async def _response(self):
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            if name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return status, body


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def cycles(conn, claim, answer, deadline, latencies, counts):
    """Closed loop: ask for the next item, answer it, as fast as the server replies. `claim` is the
    (method, path) asking for work; `answer(status, body)` gives the (path, payload) submitting the
    answer, or None when no work came back."""
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        status, body = await conn.request(*claim)
        latencies.append(time.perf_counter() - start)
        submission = answer(status, body)
        if submission is None:
            counts["empty" if status in (200, 404) else "errors"] += 1
            await asyncio.sleep(0.05)
            continue
        await submit(conn, submission, latencies, counts)


async def submit(conn, submission, latencies, counts):
    """POST the (path, payload) submission: its latency, and whether it was acknowledged."""
    start = time.perf_counter()
    status, _ = await conn.request("POST", *submission)
    latencies.append(time.perf_counter() - start)
    counts["acknowledged" if status in (200, 201) else "errors"] += 1


def our_answer(rng, labels):
    """answer(status, body) for CrowdLabel's next: the submission (path, payload) of a random label for
    the assignment handed out, or None when none was."""

    def answer(status, body):
        assignment = json.loads(body)["assignment"] if status == 200 else None
        if assignment:
            return f"/api/assignments/{assignment['id']}/submit/", {"answer": rng.choice(labels), "next": False}
        return None

    return answer


async def annotator(token, project_id, labels, deadline, latencies, counts):
    await cycles(Connection(token), ("POST", f"/api/projects/{project_id}/next/"), our_answer(random.Random(token), labels),
                 deadline, latencies, counts)


async def label_studio_annotator(token, project_id, labels, deadline, latencies, counts):
    """The same cycle against Label Studio's next-task (404: nothing left) and annotation APIs."""
    rng = random.Random(token)

    def answer(status, body):
        if status != 200:
            return None
        choice = {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [rng.choice(labels)]}}
        return f"/api/tasks/{json.loads(body)['id']}/annotations/", {"result": [choice], "lead_time": 1.0}

    await cycles(Connection(token, LS_PORT), ("GET", f"/api/projects/{project_id}/next/"), answer, deadline,
                 latencies, counts)


async def scheduled_annotator(token, project_id, labels, rate, start, deadline, latencies, counts):
    """Open loop: a next + submit cycle every 1/rate seconds, from a random phase."""
    conn = Connection(token)
    rng = random.Random(token)
    answer = our_answer(rng, labels)
    scheduled = start + rng.random() / rate
    while scheduled < deadline:
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        status, body = await conn.request("POST", f"/api/projects/{project_id}/next/")
        latencies.append(time.perf_counter() - scheduled)
        submission = answer(status, body)
        if submission:
            await submit(conn, submission, latencies, counts)
        else:
            counts["empty" if status == 200 else "errors"] += 1
        scheduled += 1 / rate


async def ceiling_client(token, ids, deadline, latencies, counts):
    conn = Connection(token)
    rng = random.Random(token)
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        status, _ = await conn.request("GET", f"/bench/row/{rng.choice(ids)}/")
        latencies.append(time.perf_counter() - start)
        counts["ok" if status == 200 else "errors"] += 1


async def drive(make_client, clients, seconds):
    latencies, counts = [], {"acknowledged": 0, "errors": 0, "empty": 0, "ok": 0}
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(make_client(i, deadline, latencies, counts) for i in range(clients)))
    return latencies, counts, time.perf_counter() - started


# --- Set-up and the server ------------------------------------------------------------------------

def _server_connection(dbname="postgres"):
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    return psycopg2.connect(dbname=dbname, user=config["USER"], password=config["PASSWORD"] or None,
                            host=config["HOST"] or None, port=config["PORT"] or None), config


def ensure_database(name=None, fresh=False):
    """Create the benchmark's database on first use (a fresh machine has only the default ones);
    `fresh`: drop it first."""
    admin, config = _server_connection()
    name = name or config["NAME"]
    admin.autocommit = True
    with admin.cursor() as cursor:
        if fresh:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup(items, annotators):
    import django

    ensure_database()

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts import services as accounts
    from accounts.models import Role, User, VerificationStatus, WorkerProfile
    from rest_framework.authtoken.models import Token
    from tasks import services
    from tasks.models import Item, Project

    Project.objects.filter(title__startswith="bench:").delete()
    User.objects.filter(email__endswith="@bench.crowdlabel").delete()
    project = services.project_create(
        title="bench: assignment load", task_type="single_label", item_fields=["title"], overlap=3, gold_share=0.05,
        label_schema={"labels": ["Phone", "TV", "CPU", "Fridge"]}, verified_only=True,
    )
    Item.objects.bulk_create(
        [Item(project=project, external_id=f"b{n}", data={"title": f"product title {n}"}, content_hash=f"{n:064d}",
              open_slots=3, is_gold=n % 20 == 0, gold="Phone" if n % 20 == 0 else None) for n in range(items)],
        batch_size=5000,
    )
    services.project_publish(project=project)
    tokens = []
    for n in range(annotators):
        user = accounts.user_create(email=f"a{n}@bench.crowdlabel", password=None, role=Role.ANNOTATOR)
        WorkerProfile.objects.filter(user=user).update(verification_status=VerificationStatus.VERIFIED)
        tokens.append(Token.objects.create(user=user).key)
    integrator_token = Token.objects.create(
        user=accounts.user_create(email="i@bench.crowdlabel", password=None, role=Role.INTEGRATOR)
    ).key
    ids = list(Item.objects.filter(project=project).values_list("pk", flat=True)[:5000])
    # Fresh statistics, as autovacuum keeps them in production: after a bulk load the planner would
    # otherwise spend milliseconds probing index ends on every query.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return project, tokens, integrator_token, ids


def label_studio_env():
    import dj_database_url

    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    return dict(
        os.environ, DJANGO_DB="default", POSTGRE_NAME="label_studio_bench", POSTGRE_USER=config["USER"] or "postgres",
        POSTGRE_PASSWORD=config["PASSWORD"] or "", POSTGRE_HOST=config["HOST"] or "127.0.0.1",
        POSTGRE_PORT=str(config["PORT"] or 5432), LABEL_STUDIO_BASE_DATA_DIR=str(ROOT / "bench" / "out" / "label-studio"),
        DJANGO_SETTINGS_MODULE="core.settings.label_studio", DEBUG="false", LOG_LEVEL="WARNING",
        SENTRY_DSN="", FRONTEND_SENTRY_DSN="",  # no error reports sent out (nothing outside is reachable here)
    )


def setup_label_studio(items, annotators):
    """Label Studio's project, with the same items and annotators, or None without its venv."""
    if not LS_PYTHON.exists():
        return None
    ensure_database("label_studio_bench", fresh=True)  # deleting 100,000 tasks through its ORM takes minutes
    out = subprocess.run([str(LS_PYTHON), str(ROOT / "bench" / "_label_studio_runner.py"), str(items), str(annotators)],
                         env=label_studio_env(), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_label_studio(workers, threads):
    """Label Studio's own WSGI application under gunicorn, as CrowdLabel runs."""
    ls_dir = subprocess.run([str(LS_PYTHON), "-c", "import label_studio, os; print(os.path.dirname(label_studio.__file__))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    log = open(ROOT / "bench" / "out" / "label-studio-server.log", "w")
    server = subprocess.Popen(
        [str(LS_PYTHON.parent / "gunicorn"), "core.wsgi:application", "--chdir", ls_dir, "--bind", f"127.0.0.1:{LS_PORT}",
         *gunicorn_options(workers, threads)],
        env=label_studio_env(), start_new_session=True, stdout=log, stderr=log,
    )
    return _wait_for(server, LS_PORT, "/version/")


def _wait_for(server, port, path):
    import urllib.error
    import urllib.request

    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
            return server
        except urllib.error.HTTPError:
            return server  # it answers
        except Exception:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise RuntimeError(f"the server on port {port} did not start")


def gunicorn_options(workers, threads):
    """The same server settings for CrowdLabel and Label Studio, as README's production command runs it:
    sync workers (gunicorn runs gthread workers only with --threads above 1), eight of them on two cores,
    since each waits on PostgreSQL for much of every request. With threads, the requests in one process
    take turns on its interpreter lock: one back from PostgreSQL waits behind the others' Python, and a
    request with more round trips waits more often (p99 at half the ceiling's rate, before the periodic
    vacuum: 4 workers x 8 threads 35, 190 and 490 ms in three runs; 8 sync workers 30, 45 and 48 ms in
    three, 370 ms in a fourth).
    No keep-alive, as behind nginx (which by default opens a new upstream connection per request): each
    request is accepted by whichever worker is free first. With keep-alive and no proxy, a connection stays
    with the worker that accepted it for the whole run, and a worker that happened to accept twice its
    share answers each of its connections at half the speed (seen here: 6 connections at 30 ms, 26 at
    200 ms)."""
    return ["--workers", str(workers), "--threads", str(threads), "--keep-alive", "0", "--log-level", "warning"]


def start_server(workers, threads):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.ceiling_settings", LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "crowdlabel.wsgi", "--bind", f"127.0.0.1:{PORT}",
         *gunicorn_options(workers, threads)],
        cwd=ROOT, env=env, start_new_session=True,
    )
    return _wait_for(server, PORT, "/bench/row/0/")  # 401 without a token: it answers


def periodic_vacuum(stop: threading.Event, vacuumed: list):
    """The periodic vacuum job at its beat period, as Celery beat runs it in production (no Celery runs
    here): the tables it vacuumed go into `vacuumed`."""
    from django.db import connection

    from core.periodic import declared_periodic_tasks
    from tasks.vacuum import hot_tables_vacuum

    period = next(every for task, every in declared_periodic_tasks().values() if task == "tasks.vacuum_hot_tables")
    try:
        while not stop.wait(period):
            vacuumed.extend(hot_tables_vacuum())
    except Exception as error:  # said in the figures' output, not lost in a thread
        vacuumed.append(f"failed: {error!r}")
    finally:
        connection.close()


def duplicates(project):
    """Slots handed twice: a worker with two answers on one item, or an item with more answers than its
    overlap. Both are forbidden by constraints and counters; this counts what actually happened."""
    from django.db.models import Count

    from annotations.models import Annotation

    same_worker = Annotation.objects.filter(project=project).values("item", "worker").annotate(n=Count("pk")).filter(n__gt=1).count()
    over = (
        Annotation.objects.filter(project=project, is_gold=False).values("item").annotate(n=Count("pk"))
        .filter(n__gt=project.overlap).count()
    )
    return same_worker + over


def label_studio_duplicates():
    """Label Studio's own double handouts: a user with two annotations on a task, or a task with more
    than its overlap."""
    conn, _ = _server_connection("label_studio_bench")
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM (SELECT 1 FROM task_completion GROUP BY task_id, completed_by_id "
                       "HAVING count(*) > 1) d")
        same_user = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM (SELECT 1 FROM task_completion c JOIN task t ON t.id = c.task_id "
                       "GROUP BY c.task_id, t.overlap HAVING count(*) > t.overlap) o")
        over = cursor.fetchone()[0]
    conn.close()
    return same_user + over


def load_arguments():
    """The options both load benchmarks take."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=32)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--open-seconds", type=float, default=20)
    return parser.parse_args()


def one_round(args, project, tokens, integrator_token, ids, ls, seconds):
    """Each load once for `seconds`: {name: (latencies, counts, wall time)}."""
    loads = {}
    if ls:
        loads["label_studio"] = asyncio.run(drive(
            lambda i, d, l, c: label_studio_annotator(ls["tokens"][i], ls["project"], ls["labels"], d, l, c),
            args.annotators, seconds))
    loads["ours"] = asyncio.run(drive(
        lambda i, d, l, c: annotator(tokens[i], project.pk, project.label_names, d, l, c), args.annotators, seconds))
    loads["ceiling"] = asyncio.run(drive(
        lambda i, d, l, c: ceiling_client(integrator_token, ids, d, l, c), args.annotators, seconds))
    return loads


def alternate(args, project, tokens, integrator_token, ids, ls=None):
    """A short round that only warms the servers up (connections, imports, query plans), then our load,
    the ceiling's and Label Studio's (when set up) in alternating rounds. The totals of each load, and the
    answers acknowledged during the warm-up (they are stored too)."""
    warm_up = one_round(args, project, tokens, integrator_token, ids, ls, WARM_UP_SECONDS)
    totals = {}
    for _ in range(args.rounds):
        for name, (latencies, counts, wall) in one_round(args, project, tokens, integrator_token, ids, ls,
                                                         args.seconds / args.rounds).items():
            before = totals.get(name, ([], {}, 0.0))
            totals[name] = (before[0] + latencies, {k: before[1].get(k, 0) + v for k, v in counts.items()},
                            before[2] + wall)
    return totals, warm_up["ours"][1]["acknowledged"]


def open_loop(args, project, tokens, cycles_per_s):
    """The annotators on a fixed schedule at `cycles_per_s` in all: the latencies, the counts and the
    wall time from the first scheduled start to the last answer."""
    rate = cycles_per_s / args.annotators
    latencies, counts = [], {"acknowledged": 0, "errors": 0, "empty": 0}

    async def run():
        start = time.perf_counter()
        deadline = start + args.open_seconds
        await asyncio.gather(*(
            scheduled_annotator(token, project.pk, project.label_names, rate, start, deadline, latencies, counts)
            for token in tokens
        ))
        return time.perf_counter() - start

    wall = asyncio.run(run())
    return latencies, counts, wall


def within_goal(step) -> bool:
    """An open-loop step meets the latency goal: p99 under 100 ms, and the offered rate was served."""
    return step["p99_ms"] < 100 and step["served_per_s"] >= 0.98 * step["offered_per_s"]


def open_loop_ladder(args, project, tokens, ceiling_per_s):
    """Open loops at each of CEILING_FRACTIONS of the ceiling's requests/s (two requests a cycle)."""
    steps = []
    for fraction in CEILING_FRACTIONS:
        offered = ceiling_per_s * fraction / 2
        latencies, counts, wall = open_loop(args, project, tokens, offered)
        steps.append({"fraction": fraction, "offered_per_s": round(offered, 1),
                      "served_per_s": round(counts["acknowledged"] / wall, 1),
                      "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
                      "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                      "acknowledged": counts["acknowledged"], "errors": counts["errors"], "empty": counts["empty"]})
    return steps


def main():
    args = load_arguments()
    project, tokens, integrator_token, ids = setup(args.items, args.annotators)
    ls = setup_label_studio(args.items, args.annotators)
    servers = [start_server(args.workers, args.threads)] + ([start_label_studio(args.workers, args.threads)] if ls else [])
    stop_vacuum, vacuumed = threading.Event(), []
    vacuum_job = threading.Thread(target=periodic_vacuum, args=(stop_vacuum, vacuumed), daemon=True)
    vacuum_job.start()
    try:
        totals, warm_up_acknowledged = alternate(args, project, tokens, integrator_token, ids, ls)
        (lat, counts, wall), (ceil_lat, ceil_counts, ceil_wall) = totals["ours"], totals["ceiling"]
        ls_lat, ls_counts, ls_wall = totals.get("label_studio", ([], {}, 0.0))
        ceiling_per_s = ceil_counts["ok"] / ceil_wall
        steps = open_loop_ladder(args, project, tokens, ceiling_per_s)
    finally:
        stop_vacuum.set()
        vacuum_job.join()
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    from annotations.models import Annotation

    stored = Annotation.objects.filter(project=project).count()
    acknowledged = counts["acknowledged"] + sum(step["acknowledged"] for step in steps) + warm_up_acknowledged
    assign_per_s = counts["acknowledged"] / wall
    requests_per_s = len(lat) / wall
    half = next(step for step in steps if step["fraction"] == 0.5)
    figures = {
        "assign_per_s": round(assign_per_s, 1),
        "p50_ms": round(percentile(lat, 0.50) * 1000, 1),
        "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
        "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
        "duplicates": duplicates(project),
        "ceiling_per_s": round(ceiling_per_s, 1),
        "ratio_to_ceiling": round(requests_per_s / ceiling_per_s, 3),
        "label_studio_per_s": round(ls_counts["acknowledged"] / ls_wall, 1) if ls else None,
        "half_ceiling_offered_per_s": half["offered_per_s"],
        "half_ceiling_served_per_s": half["served_per_s"],
        "half_ceiling_p50_ms": half["p50_ms"],
        "half_ceiling_p99_ms": half["p99_ms"],
        # The largest share of the ceiling's rate served with p99 under 100 ms (null: none tried was).
        "p99_under_100ms_up_to": max((step["fraction"] for step in steps if within_goal(step)), default=None),
    }
    print(f"assignment load: {args.annotators} annotators, {args.seconds:.0f} s in {args.rounds} rounds, {args.items} items, "
          f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL")
    print(f"  next+submit cycles/s : {assign_per_s:.1f}  ({requests_per_s:.1f} HTTP requests/s)")
    print(f"  latency per request  : p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
    print(f"  acknowledged {acknowledged}, stored {stored}, "
          f"errors {counts['errors'] + sum(step['errors'] for step in steps)}, "
          f"empty answers {counts['empty'] + sum(step['empty'] for step in steps)}, duplicates {figures['duplicates']}")
    print(f"  the periodic vacuum job vacuumed {', '.join(f'{t} {vacuumed.count(t)} times' for t in sorted(set(vacuumed))) or 'nothing'}"
          " (CrowdLabel's tables only: Label Studio ships no such job)")
    print(f"  ceiling (bare view, one row by pk): {ceiling_per_s:.1f} requests/s, "
          f"p50 {percentile(ceil_lat, 0.5) * 1000:.1f} ms, p99 {percentile(ceil_lat, 0.99) * 1000:.1f} ms")
    print(f"  ratio (requests/s against the ceiling's requests/s): {figures['ratio_to_ceiling']}")
    for step in steps:
        print(f"  open loop at {step['fraction']:.0%} of the ceiling ({step['offered_per_s']} cycles/s offered, "
              f"{args.open_seconds:.0f} s): {step['served_per_s']} served, p50 {step['p50_ms']} ms, p99 {step['p99_ms']} ms"
              f"{'  (goal met)' if within_goal(step) else ''}")
    if ls:
        print(f"  Label Studio 1.23.2, same load: {figures['label_studio_per_s']} cycles/s, "
              f"p50 {percentile(ls_lat, 0.5) * 1000:.1f} ms, p99 {percentile(ls_lat, 0.99) * 1000:.1f} ms, "
              f"errors {ls_counts['errors']}, empty answers {ls_counts['empty']}, duplicates {label_studio_duplicates()}")
    else:
        print(f"  Label Studio: not measured ({LS_PYTHON} is missing: see the docstring)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
