"""Suspension has one home (accounts.services): whichever admin or job suspends or lifts, the same happens."""

import random

import pytest
from django.urls import reverse

from accounts.models import Suspension
from quality.models import FlagKind, WorkerFlag
from quality.services import integrity
from tasks import assignment as assignment_service
from tasks.models import Assignment, AssignmentState, Item, ProjectStatus
from tests.factories import token_for
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


def _admin_action(client, admin_user, action, profile, reason=""):
    client.force_login(admin_user)
    return client.post(reverse("admin:accounts_workerprofile_changelist"),
                       {"action": action, "_selected_action": [profile.pk], "reason": reason})


def _flagged_twice(worker):
    for kind in (FlagKind.TOO_FAST, FlagKind.GOLD_STREAK):
        WorkerFlag.objects.create(worker=worker, kind=kind, detail="seen")


def test_suspending_in_the_accounts_admin_records_a_suspension(client, admin_user):
    worker = verified_worker()
    _admin_action(client, admin_user, "suspend_workers", worker.worker_profile, reason="copying answers")
    profile = worker.worker_profile
    profile.refresh_from_db()
    assert profile.suspended and profile.weight == 0 and profile.suspended_reason == "copying answers"
    suspension = Suspension.objects.get(worker=worker)
    assert suspension.reason == "copying answers" and not suspension.automatic and suspension.lifted_at is None


def test_lifting_in_the_accounts_admin_survives_the_hourly_job(client, admin_user):
    worker = verified_worker()
    _flagged_twice(worker)
    integrity.integrity_check()
    profile = worker.worker_profile
    profile.refresh_from_db()
    assert profile.suspended

    _admin_action(client, admin_user, "lift_suspension", profile)
    integrity.integrity_check()  # the hourly job's anti-cheating step

    profile.refresh_from_db()
    assert not profile.suspended and profile.weight > 0
    assert Suspension.objects.get(worker=worker).lifted_by == admin_user
    assert not WorkerFlag.objects.filter(worker=worker, resolved_at__isnull=True).exists()


def test_suspension_ends_live_work_and_a_later_submit_is_refused_with_the_reason(client, api_client, admin_user):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.0)
    item = ItemFactory(project=project)
    worker = verified_worker()
    assignment = assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(0)).assignment
    assert Item.objects.get(pk=item.pk).open_slots == 0

    _admin_action(client, admin_user, "suspend_workers", worker.worker_profile, reason="copying answers")

    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.RELEASED
    assert Item.objects.get(pk=item.pk).open_slots == 1  # back in the pool for someone else
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(worker)}")
    response = api_client.post(reverse("api-assignment-submit", args=[assignment.pk]), {"answer": "TV"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your account is suspended: copying answers", "code": "not_eligible"}
    assert not worker.annotations.exists()


def test_only_staff_who_may_change_workers_suspend(client, annotator):
    worker = verified_worker()
    client.force_login(annotator)
    client.post(reverse("admin:accounts_workerprofile_changelist"),
                {"action": "suspend_workers", "_selected_action": [worker.worker_profile.pk], "reason": "x"})
    worker.worker_profile.refresh_from_db()
    assert not worker.worker_profile.suspended and not Suspension.objects.exists()
