import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import assignment, deletion, vacuum
from .importing import jobs

# Periodic jobs log only what they did: Celery's own lines about them are dropped (crowdlabel/logfilters.py).
logger = logging.getLogger(__name__)


@shared_task(name="tasks.expire_leases", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def expire_leases():
    """Periodic: leases past their time go back to the pool (requests also do this lazily)."""
    expired = assignment.assignments_expire_due()
    if expired:
        logger.info("%s expired leases returned to the pool", expired)
    return expired


@shared_task(name="tasks.vacuum_hot_tables", ignore_result=True)
def vacuum_hot_tables():
    """Periodic: vacuum the item and assignment tables once enough of their rows are dead. No retries
    and no stored result: it runs again in ten seconds."""
    vacuumed = vacuum.hot_tables_vacuum()
    if vacuumed:
        logger.info("vacuumed %s", ", ".join(vacuumed))
    return vacuumed


@shared_task(name="tasks.import_job_run", autoretry_for=(OperationalError, InterfaceError), retry_backoff=5,
             max_retries=10)
def import_job_run(job_id):
    """Validate and store an uploaded file (tasks.importing.jobs). Acknowledged when done (CELERY_TASK_ACKS_LATE):
    a worker that dies mid-import leaves it to be delivered again (its store pass rolls back with it)."""
    jobs.import_job_run(job_id=job_id)


@shared_task(name="tasks.project_delete", autoretry_for=(OperationalError, InterfaceError), retry_backoff=5,
             max_retries=10)
def project_delete(project_id):
    """Delete a project in batches (tasks.deletion). A retry after a lost database starts where the
    committed batches left off."""
    deletion.project_delete(project_id=project_id)
