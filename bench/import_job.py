"""Background imports of large files: a generated CSV (50 MB) and JSONL (200 MB) staged and imported by the job
the Celery task runs (tasks.importing.jobs.import_job_run, called here in this process, as the worker does),
with the peak RSS of the process running it. Memory must stay flat: under 300 MB whatever the file's size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowdlabel_bench .venv/bin/python bench/import_job.py
    ... bench/import_job.py --small        # CI: 1 MB and 2 MB, seconds
    ... bench/import_job.py --csv-mb 50 --jsonl-mb 200

Last line: {"csv_mb": M, "csv_rows": N, "csv_s": S, "jsonl_mb": M, "jsonl_rows": N, "jsonl_s": S, "peak_rss_mb": R}
(peak_rss_mb: the process's high-water mark over both imports, its Django set-up included, read before each
import's rows are deleted: Django's cascading delete collects every item in memory, ~0.7 KB each, which once made
this figure 1.2 GB at full size; the rows are deleted with one SQL statement instead).
"""

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.assignment_load import ensure_database  # its import sets the benchmarks' environment

os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory


def _title(n: int) -> str:
    return f"Product {n} - a stainless steel kettle with a blue lid and a one year warranty, model K{n % 997}"


def generate(path: Path, megabytes: float) -> Path:
    """Rows of external_id and title until the file reaches its size (written streaming)."""
    limit = megabytes * 1_000_000
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out) if path.suffix == ".csv" else None
        if writer:
            writer.writerow(["external_id", "title"])
        start = 0
        while out.tell() < limit:
            for n in range(start, start + 1000):
                if writer:
                    writer.writerow([f"c{n}", _title(n)])
                else:
                    out.write(json.dumps({"external_id": f"j{n}", "title": _title(n)}) + "\n")
            start += 1000
    return path


def run_job(project, path: Path) -> tuple[object, float]:
    from tasks.importing import jobs, staging
    from tasks.models import ImportJob

    class Upload:  # what staging reads from an upload: its name and its chunks
        name = path.name

        def chunks(self):
            with path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    yield chunk

    job = ImportJob.objects.create(project=project, filename=path.name, staged=staging.upload_stage(Upload()))
    started = time.perf_counter()
    job = jobs.import_job_run(job_id=job.pk)
    return job, time.perf_counter() - started


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _project_delete(project):
    """The bench's items have nothing that refers to them: one DELETE, not Django's collector (see above)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tasks_item WHERE project_id = %s", [project.pk])
    project.delete()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv-mb", type=float, default=50)
    parser.add_argument("--jsonl-mb", type=float, default=200)
    parser.add_argument("--small", action="store_true", help="CI size: --csv-mb 1 --jsonl-mb 2")
    args = parser.parse_args()
    if args.small:
        args.csv_mb, args.jsonl_mb = 1, 2
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.services import organisation_default
    from tasks.models import Project

    figures, peak_rss_mb = {}, 0.0
    for kind, megabytes in (("csv", args.csv_mb), ("jsonl", args.jsonl_mb)):
        path = generate(Path(f"/tmp/crowdlabel-bench-import.{kind}"), megabytes)
        project = Project.objects.create(title=f"bench: import job {kind}", task_type="single_label",
                                         item_fields=["title"], organisation=organisation_default(),
                                         label_schema={"labels": [{"name": "Kettle"}, {"name": "Toaster"}]})
        try:
            job, seconds = run_job(project, path)
            peak_rss_mb = max(peak_rss_mb, _peak_rss_mb())
        finally:
            _project_delete(project)
            path.unlink()
        if job.state != "done":
            sys.exit(f"FAILED: the {kind} import ended {job.state}: {job.summary}")
        print(f"{kind}: {megabytes} MB, {job.rows_total:,} rows "
              f"in {seconds:.1f} s ({job.rows_total / seconds:,.0f} rows/s), created {job.created:,}")
        figures.update({f"{kind}_mb": megabytes, f"{kind}_rows": job.rows_total, f"{kind}_s": round(seconds, 1)})
    figures["peak_rss_mb"] = peak_rss_mb
    print(f"peak RSS of the process running both imports: {figures['peak_rss_mb']} MB (goal: under 300 MB)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
