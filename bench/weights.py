"""The worker-weight job over 1,000,000 annotations by 2,000 workers on PostgreSQL.

Generates the data inside PostgreSQL (INSERT ... SELECT generate_series: 333,334 items of which 5% gold, three
annotations each by three different workers, 80% of the answers right), then times the job's parts:
scores and weights (the SQL aggregates and the snapshot), the anti-cheating rules, the earnings ledger.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/weights.py
    ... bench/weights.py --small   # CI: 30,000 annotations by 300 workers, seconds

Last line: {"annotations": N, "workers": W, "seconds": S} where S is the weight computation (scores, weights
and snapshots). The whole beat job's time is printed above it.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crowdlabel_bench")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

LABELS = ["Phone", "TV", "CPU", "Fridge", "Freezer", "Camera", "Microwave", "Dishwasher", "Washer", "Fridge Freezer"]

ITEMS_SQL = """
INSERT INTO tasks_item (project_id, external_id, data, media, content_hash, is_gold, gold, gold_explanation,
                        state, open_slots, submitted_count, model_uncertainty, priority, source, created_at, updated_at)
SELECT %(project)s, 'w' || n, jsonb_build_object('title', 'product ' || n), '', md5(n::text), n %% 20 = 0,
       CASE WHEN n %% 20 = 0 THEN to_jsonb((%(labels)s::text[])[1 + n %% 10]) END, '', 'collecting', 0, 3, -1, 0, 'import', now(),
       now()
FROM generate_series(0, %(items)s - 1) AS n
"""

# Three different workers per item; a worker answers right 80% of the time.
ANSWERS_SQL = """
WITH slots AS (
    SELECT i.id AS item_id, i.is_gold, k,
           (%(workers)s::bigint[])[1 + ((i.id * 7 + k * 661) %% %(n_workers)s)] AS worker_id,
           1 + (i.id %% 10) AS truth
    FROM tasks_item i CROSS JOIN generate_series(0, 2) AS k
    WHERE i.project_id = %(project)s
), assigned AS (
    INSERT INTO tasks_assignment (project_id, item_id, worker_id, state, is_gold, pushed, created_at, started_at,
                                  expires_at, finished_at)
    SELECT %(project)s, item_id, worker_id, 'submitted', is_gold, false, now(), now(), now(), now() FROM slots
    RETURNING id, item_id, worker_id, is_gold
)
INSERT INTO annotations_annotation (project_id, item_id, worker_id, assignment_id, answer, is_gold, seconds_spent,
                                    superseded, created_at)
SELECT %(project)s, a.item_id, a.worker_id, a.id,
       to_jsonb((%(labels)s::text[])[CASE WHEN random() < 0.8 THEN 1 + (a.item_id %% 10) ELSE 1 + floor(random() * 10)::int END]),
       a.is_gold, 5 + random() * 20, false, now() - random() * interval '20 days'
FROM assigned a
"""


def setup(items, n_workers):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User, VerificationStatus, WorkerProfile
    from tasks import services
    from tasks.models import Project

    for stale in Project.objects.filter(title__startswith="bench: weights").values_list("pk", flat=True):
        _delete(stale)
    User.objects.filter(email__endswith="@weights.bench").delete()
    project = services.project_create(title="bench: weights", task_type="single_label", item_fields=["title"],
                                      label_schema={"labels": LABELS})
    users = User.objects.bulk_create(
        [User(username=f"wb{n}", email=f"w{n}@weights.bench", role=Role.ANNOTATOR) for n in range(n_workers)]
    )
    WorkerProfile.objects.bulk_create(
        [WorkerProfile(user=u, verification_status=VerificationStatus.VERIFIED) for u in users]
    )
    ids = [u.pk for u in users]
    with connection.cursor() as cursor:
        cursor.execute(ITEMS_SQL, {"project": project.pk, "labels": LABELS, "items": items})
        cursor.execute(ANSWERS_SQL, {"project": project.pk, "labels": LABELS, "workers": ids, "n_workers": n_workers})
        cursor.execute("ANALYZE")
    return project


def _delete(project_id):
    """Plain SQL: the ORM's cascade would load a million rows to delete them."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("quality_earningsentry", "annotations_annotation", "tasks_assignment", "quality_itemdecision", "tasks_item"):
            cursor.execute(f"DELETE FROM {table} WHERE project_id = %s", [project_id])
        cursor.execute("DELETE FROM tasks_project WHERE id = %s", [project_id])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2000)
    parser.add_argument("--small", action="store_true", help="CI size: 30,000 annotations by 300 workers")
    args = parser.parse_args()
    if args.small:
        args.annotations, args.workers = 30_000, 300
    started = time.perf_counter()
    project = setup(-(-args.annotations // 3), args.workers)
    from annotations.models import Annotation
    from quality.services import earnings, integrity, scores

    count = Annotation.objects.filter(project=project).count()
    print(f"generated {count} annotations by {args.workers} workers in {time.perf_counter() - started:.1f} s")

    timings = {}
    for name, job in (("weights", scores.worker_weights_recompute), ("anti-cheating", integrity.integrity_check),
                      ("earnings", earnings.earnings_post)):
        t = time.perf_counter()
        result = job()
        timings[name] = time.perf_counter() - t
        print(f"  {name:14s} {timings[name]:6.2f} s  {result}")
    t = time.perf_counter()
    again = scores.worker_weights_recompute()
    print(f"  weights again  {time.perf_counter() - t:6.2f} s  {again} (idempotent: nothing changes)")
    print(f"  whole beat job {sum(timings.values()):6.2f} s")
    _delete(project.pk)
    print(json.dumps({"annotations": count, "workers": args.workers, "seconds": round(timings["weights"], 2)}))


if __name__ == "__main__":
    main()
