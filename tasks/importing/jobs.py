"""Imports run in the background: any file that fits on disk, without a web request waiting on it.

    job = import_job_create(project=project, created_by=user, upload=upload, options={...})  # staged, queued
    import_job_run(job_id=job.pk)      # the Celery task `tasks.import_job_run`: validate, then store, all or nothing
    import_job_progress(job)           # {"state", "phase", "rows_done", "rows_total", ...} for the API and the admin

The upload is streamed to the staging folder (staging.py: a private folder on the server's disk, which the
workers must share with the web server); items_import then reads it twice, streaming, so memory stays flat.
While it runs, progress is noted in a file beside the upload (staging.progress_write): the store pass is one
transaction, so neither the job's row nor a cache kept in the database would show anything until the end.
The job's row keeps the outcome (counts, the first MAX_LISTED_ERRORS errors).
"""

import csv
import io
import logging

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from ..models import ImportJob, ImportJobState, Project
from . import staging
from .report import ImportRejected
from .service import items_import

logger = logging.getLogger(__name__)
OPTION_NAMES = ("file_format", "mapping", "delimiter", "encoding")


def import_job_create(*, project: Project, created_by, upload, options: dict) -> ImportJob:
    """Stage the upload and queue its import (sent once the job's row is committed)."""
    return import_job_queue(project=project, created_by=created_by, staged=staging.upload_stage(upload),
                            filename=upload.name or "", options=options)


def import_job_queue(*, project: Project, created_by, staged: str, filename: str, options: dict) -> ImportJob:
    """Queue the import of a file already staged (the admin's, after its preview); the job owns it from now."""
    job = ImportJob.objects.create(
        project=project, created_by=created_by, filename=filename[:255], staged=staged,
        options={name: options.get(name) for name in OPTION_NAMES})
    from ..celery_tasks import import_job_run as task  # imported here: the Celery tasks module imports this one

    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Validate and store the job's file. A job already finished, or taken by another worker, is left alone:
    a redelivered task does nothing twice. A job found RUNNING was held by a worker that died (its store pass
    rolled back with it), so it is run again."""
    claimed = ImportJob.objects.filter(pk=job_id, state__in=[ImportJobState.QUEUED, ImportJobState.RUNNING]).update(
        state=ImportJobState.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    job = ImportJob.objects.select_related("project").get(pk=job_id)
    path = staging.staged_path(job.staged)
    if path is None:
        return _failed(job, [{"line": None, "reason": "The uploaded file is gone (staged files are kept 6 hours): "
                                                      "upload it again."}])
    try:
        with open(path, "rb") as source:
            report = items_import(project=job.project, source=source, filename=job.filename,
                                  progress=lambda *state: _progress_note(job, *state), **job.options)
    except ImportRejected as rejected:
        return _failed(job, [{"line": error.line, "reason": error.reason} for error in rejected.errors],
                       more=rejected.more, summary=rejected.message())
    except (OperationalError, InterfaceError):
        raise  # the database is away: the Celery task retries, and finds the job RUNNING to run again
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        return _failed(job, [{"line": None, "reason": f"The import failed ({type(error).__name__}): nothing was "
                                                      "imported. Try again; tell an admin if it fails again."}])
    finally:
        staging.staged_discard(job.staged)
    return _finish(job, ImportJobState.DONE, rows_total=report.total_rows, created=report.created,
                   updated=report.updated, duplicates=len(report.duplicates), summary=report.summary())


def _failed(job: ImportJob, errors: list[dict], *, more: int = 0, summary: str = "") -> ImportJob:
    return _finish(job, ImportJobState.FAILED, errors=errors, error_count=len(errors) + more,
                   summary=summary or errors[0]["reason"])


def _progress_note(job: ImportJob, phase: str, rows_done: int, rows_total: int | None):
    staging.progress_write(job.staged, {"phase": phase, "rows_done": rows_done, "rows_total": rows_total})


def _finish(job: ImportJob, state: str, **outcome) -> ImportJob:
    for name, value in outcome.items():
        setattr(job, name, value)
    job.state, job.finished_at = state, timezone.now()
    job.save()
    staging.progress_discard(job.staged)
    return job


def import_job_progress(job: ImportJob) -> dict:
    """Where the job stands: the phase (queued, validating, importing, done, failed), rows done of the total
    (the total is known once validation has read the whole file), the counts and the errors when it is over."""
    live = staging.progress_read(job.staged) if job.state == ImportJobState.RUNNING else None
    done = job.state == ImportJobState.DONE
    if live:
        phase, rows_done, rows_total = live["phase"], live["rows_done"], live["rows_total"]
    else:
        phase = job.state if job.state != ImportJobState.RUNNING else "validating"
        rows_done, rows_total = (job.rows_total, job.rows_total) if done else (0, job.rows_total)
    return {
        "id": job.pk, "state": job.state, "phase": phase, "rows_done": rows_done, "rows_total": rows_total,
        "percent": _percent(phase, rows_done, rows_total), "created": job.created, "updated": job.updated,
        "duplicates": job.duplicates, "summary": job.summary, "error_count": job.error_count, "errors": job.errors,
        "filename": job.filename, "created_at": job.created_at, "finished_at": job.finished_at,
    }


def _percent(phase: str, rows_done: int, rows_total: int | None) -> int:
    """Validation is the first half of the bar, storing the second (the total is unknown while validating:
    the bar moves on the rows read, capped below the half)."""
    if phase == ImportJobState.DONE:
        return 100
    if phase == "importing" and rows_total:
        return 50 + int(50 * rows_done / rows_total)
    return 0 if not rows_done else min(49, rows_done // 10_000 + 1)


def import_job_errors_csv(job: ImportJob) -> str:
    """The error report as CSV (line, reason), for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason"])
    for error in job.errors:
        writer.writerow(["" if error["line"] is None else error["line"], error["reason"]])
    if job.error_count > len(job.errors):
        writer.writerow(["", f"... and {job.error_count - len(job.errors)} more not listed."])
    return out.getvalue()
