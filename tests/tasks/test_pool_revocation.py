"""Leaving a pool ends the work there, as suspension does: revoking a qualification ends the worker's live
assignments in the projects that ask for it (slots back to the pool) and refuses the next submit with the
reason; a submit re-checks the pool, so a worker taken out of a pool's group is refused too. And the
integrator API names a project's pool by ids that must exist."""

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from annotations.models import Annotation
from tasks import assignment
from tasks.models import Assignment, AssignmentState, Item, ProjectStatus
from tests.factories import GroupFactory, IntegratorFactory, QualificationFactory, token_for, verified_worker
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualification():
    return QualificationFactory()


def _holding(project, worker):
    """The worker's live assignment in the project and the item's open slots before it was claimed."""
    item = ItemFactory(project=project)
    slots = Item.objects.get(pk=item.pk).open_slots
    held = assignment.assignment_next(worker=worker, project=project).assignment
    assert held is not None and held.item_id == item.pk
    return held, slots


def _submit(api_client, worker, held):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(worker)}")
    return api_client.post(reverse("api-assignment-submit", args=[held.pk]), {"answer": "Phone"}, format="json")


def test_revoking_a_qualification_ends_the_work_and_refuses_the_next_submit(api_client, qualification):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_qualification=qualification)
    open_project = ProjectFactory(status=ProjectStatus.PUBLISHED)
    worker = verified_worker()
    accounts_services.qualification_grant(qualification=qualification, workers=[worker])
    held, slots = _holding(project, worker)
    elsewhere, _ = _holding(open_project, worker)

    accounts_services.qualification_revoke(qualification=qualification, workers=[worker])

    assert Assignment.objects.get(pk=held.pk).state == AssignmentState.RELEASED
    assert Item.objects.get(pk=held.item_id).open_slots == slots  # the slot is back in the pool
    assert Assignment.objects.get(pk=elsewhere.pk).state == AssignmentState.LIVE  # other projects untouched
    response = _submit(api_client, worker, held)
    assert response.status_code == 403 and response.json()["detail"] == assignment.LEFT_POOL
    assert not Annotation.objects.filter(assignment_id=held.pk).exists()


def test_a_worker_still_in_the_pools_group_keeps_their_work(qualification):
    group = GroupFactory()
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_qualification=qualification, pool_group=group)
    worker = verified_worker()
    worker.groups.add(group)
    accounts_services.qualification_grant(qualification=qualification, workers=[worker])
    held, _ = _holding(project, worker)
    accounts_services.qualification_revoke(qualification=qualification, workers=[worker])
    assert Assignment.objects.get(pk=held.pk).state == AssignmentState.LIVE


def test_a_submit_asks_the_pool_again_when_the_group_row_went_without_a_signal(api_client):
    group = GroupFactory()
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_group=group)
    worker = verified_worker()
    worker.groups.add(group)
    held, _ = _holding(project, worker)
    # A bulk delete sends no m2m_changed (tests/tasks/test_pool_group_removal.py has the signal's path), so the
    # assignment stays live: the submit itself is the last check.
    worker.groups.through.objects.filter(user=worker, group=group).delete()
    response = _submit(api_client, worker, held)
    assert response.status_code == 403 and response.json()["detail"] == assignment.LEFT_POOL
    assert not Annotation.objects.filter(assignment_id=held.pk).exists()
    worker.groups.add(group)
    assert _submit(api_client, worker, held).status_code == 201


def test_the_project_api_sets_and_shows_the_pool_by_existing_ids(api_client, qualification):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    group = GroupFactory()
    created = api_client.post(reverse("api-projects"), {
        "title": "Pool project", "task_type": "single_label", "label_schema": {"labels": ["A", "B"]},
        "item_fields": ["title"], "pool_qualification": qualification.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["pool_qualification"], created.json()["pool_group"]) == (qualification.pk, None)
    url = reverse("api-project", args=[created.json()["id"]])
    assert api_client.patch(url, {"pool_group": group.pk}, format="json").json()["pool_group"] == group.pk
    missing = api_client.patch(url, {"pool_group": 987654, "pool_qualification": 987654}, format="json")
    assert missing.status_code == 400 and {"pool_group", "pool_qualification"} <= set(missing.json())
