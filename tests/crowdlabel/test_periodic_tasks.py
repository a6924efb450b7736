import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.periodic import MANAGED_MARK, declared_periodic_tasks, periodic_tasks_install

pytestmark = pytest.mark.django_db


def test_setup_periodic_tasks_installs_the_declared_jobs():
    call_command("setup_periodic_tasks")
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    declared = declared_periodic_tasks()
    assert set(declared) <= names
    # Each app's jobs, the re-evaluation of undecided items among them (a lost evaluation costs a minute).
    assert {task for task, _every in declared.values()} == {
        "accounts.verification_queue_report", "tasks.expire_leases", "tasks.vacuum_hot_tables",
        "quality.recompute_weights", "quality.reevaluate_undecided", "training.check_stalled", "training.launch_due",
        "training.feedback_to_items", "webhooks.retry_stale"}
    job = PeriodicTask.objects.get(name="accounts: verification queue report")
    assert job.task == "accounts.verification_queue_report" and job.enabled


def test_setup_periodic_tasks_is_idempotent():
    first = periodic_tasks_install()
    rows = list(PeriodicTask.objects.order_by("pk").values("pk", "name", "task", "interval_id"))
    second = periodic_tasks_install()
    assert first["created"] >= 1
    assert second == {"created": 0, "updated": 0, "removed": 0}
    assert list(PeriodicTask.objects.order_by("pk").values("pk", "name", "task", "interval_id")) == rows


def test_a_changed_declaration_updates_and_a_dropped_one_is_removed():
    periodic_tasks_install({"job a": ("accounts.verification_queue_report", 60), "job b": ("x.y", 30)})
    result = periodic_tasks_install({"job a": ("accounts.verification_queue_report", 120)})
    assert result == {"created": 0, "updated": 1, "removed": 1}
    assert PeriodicTask.objects.get(name="job a").interval.every == 120
    assert not PeriodicTask.objects.filter(name="job b").exists()


def test_jobs_added_by_hand_in_the_admin_are_left_alone():
    from django_celery_beat.models import IntervalSchedule

    every = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="by hand", task="x.y", interval=every)
    periodic_tasks_install()
    assert PeriodicTask.objects.filter(name="by hand").exclude(description=MANAGED_MARK).exists()


def test_the_periodic_job_counts_the_verification_queue():
    from accounts.celery_tasks import verification_queue_report
    from tests.factories import pending_profile

    pending_profile()
    pending_profile()
    result = verification_queue_report.delay().get()
    assert result["pending"] == 2 and result["verified"] == 0
