"""Time the item import on the 35,311 PriceRunner product titles.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/import_items.py
    (createdb -h 127.0.0.1 -U postgres crowdlabel_bench first; without DATABASE_URL it runs on SQLite)

Imports the whole CSV into a fresh single-label project (labels: the 10 categories) with a mapping:
external_id <- "Product ID", title <- "Product Title", gold <- " Category Label" (every row is a gold item,
so the gold check runs on every row), times items_import (both passes: validate, then store), then deletes the
project. The goal is at least 5,000 items/s.

    --copies K   import a file K times as long (generated under /tmp, every copy with new ids and titles):
                 peak RSS should stay about the same as with K=1, since the import streams.

"items" is the number of rows read; the 4,318 rows whose title repeats an earlier one are reported as
duplicates and skipped, so fewer items are stored. The last line is JSON:
{"items": N, "items_per_s": X, "peak_rss_mb": M}
"""

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO.parent / "shared/datasets/ecommerce/pricerunner_product_titles/pricerunner_aggregate.csv"
MAPPING = {"external_id": "Product ID", "fields": {"title": "Product Title"}, "gold": " Category Label"}
CATEGORY_COLUMN = 6


def django_setup():
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
    import django

    django.setup()


def migrate_if_needed():
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("Migrating the bench database ...", flush=True)
        call_command("migrate", verbosity=0)


def copies_file(copies: int) -> Path:
    """The dataset K times over; copy k > 1 gets ids "k-<id>" and titles "<title> (k)", so nothing repeats."""
    target = Path(f"/tmp/pricerunner_aggregate_x{copies}.csv")
    with DATASET.open(newline="", encoding="utf-8") as source, target.open("w", newline="", encoding="utf-8") as out:
        reader, writer = csv.reader(source), csv.writer(out)
        header = next(reader)
        writer.writerow(header)
        for copy in range(1, copies + 1):
            source.seek(0)
            next(reader)
            for row in reader:
                if copy > 1:
                    row[0], row[1] = f"{copy}-{row[0]}", f"{row[1]} ({copy})"
                writer.writerow(row)
    return target


def categories(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        return sorted({row[CATEGORY_COLUMN] for row in reader})


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1)
    options = parser.parse_args()
    django_setup()
    migrate_if_needed()
    from django.db import connection

    from tasks.importing import items_import
    from tasks.models import Project

    path = DATASET if options.copies == 1 else copies_file(options.copies)
    from accounts.services import organisation_default

    project = Project.objects.create(
        title="bench: PriceRunner import", task_type="single_label", item_fields=["title"],
        organisation=organisation_default(),
        label_schema={"labels": [{"name": name} for name in categories(path)]},
    )
    try:
        rss_before = rss_mb()
        started = time.perf_counter()
        with path.open("rb") as source:
            report = items_import(project=project, source=source, mapping=MAPPING, filename=path.name)
        seconds = time.perf_counter() - started
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stored = project.items.count()
    finally:
        project.delete()
        if connection.vendor == "postgresql":  # so the next run does not pay for this one's dead rows
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE tasks_item")
    rate = report.total_rows / seconds
    print(f"database:    {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"file:        {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"rows read:   {report.total_rows:,}  created {report.created:,}, updated {report.updated:,}, "
          f"duplicates skipped {len(report.duplicates):,} (items stored: {stored:,})")
    print(f"time:        {seconds:.2f} s  ->  {rate:,.0f} rows/s (goal: 5,000)")
    print(f"memory:      RSS {rss_before:.0f} MB before the import, peak {peak_rss:.0f} MB")
    print(json.dumps({"items": report.total_rows, "items_per_s": round(rate), "peak_rss_mb": round(peak_rss, 1)}))


if __name__ == "__main__":
    main()
