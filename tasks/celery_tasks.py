from celery import shared_task

from . import assignment, vacuum


@shared_task(name="tasks.expire_leases", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def expire_leases():
    """Periodic: leases past their time go back to the pool (requests also do this lazily)."""
    return assignment.assignments_expire_due()


@shared_task(name="tasks.vacuum_hot_tables", ignore_result=True)
def vacuum_hot_tables():
    """Periodic: vacuum the item and assignment tables once enough of their rows are dead. No retries
    and no stored result: it runs again in ten seconds."""
    return vacuum.hot_tables_vacuum()
