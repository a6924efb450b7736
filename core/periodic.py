"""Install the periodic jobs each app declares (its AppConfig's `periodic_tasks`: name -> (task name,
every N seconds)) into django-celery-beat's tables. Each app names its own jobs, so this bottom app never
imports them; `python manage.py setup_periodic_tasks` (idempotent; run by `make run` and on deploy)."""

from django.apps import apps
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

MANAGED_MARK = "Declared in code (each app's periodic_tasks); installed by setup_periodic_tasks."


def declared_periodic_tasks() -> dict:
    """Every app's declared jobs, merged: name -> (task name, every N seconds)."""
    declared = {}
    for config in apps.get_app_configs():
        declared.update(getattr(config, "periodic_tasks", {}))
    return declared


@transaction.atomic
def periodic_tasks_install(declared: dict | None = None) -> dict:
    """Create or update each declared job, and remove jobs this command installed earlier that are no
    longer declared. Running it twice changes nothing the second time."""
    declared = declared_periodic_tasks() if declared is None else declared
    created = updated = 0
    for name, (task, every_seconds) in declared.items():
        schedule, _ = IntervalSchedule.objects.get_or_create(every=every_seconds, period=IntervalSchedule.SECONDS)
        wanted = {"task": task, "interval": schedule, "description": MANAGED_MARK}
        job = PeriodicTask.objects.filter(name=name).first()
        if job is None:
            PeriodicTask.objects.create(name=name, enabled=True, **wanted)
            created += 1
        elif any(getattr(job, field) != value for field, value in wanted.items()):
            for field, value in wanted.items():
                setattr(job, field, value)
            job.save()
            updated += 1
    removed, _ = (
        PeriodicTask.objects.filter(description=MANAGED_MARK).exclude(name__in=list(declared)).delete()
    )
    return {"created": created, "updated": updated, "removed": removed}
