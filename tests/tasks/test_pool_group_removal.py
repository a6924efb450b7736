"""Taking a worker out of a pool's group ends their work in its projects at once, as revoking a qualification
and suspension do: their live and queued assignments there are released (slots back to the pool), from either
side of the membership (`user.groups`, `group.user_set`) and by remove or clear; the next submit is refused with
the reason. A worker the pool still admits (its qualification) keeps their work, and so does work elsewhere."""

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from annotations.models import Annotation
from tasks import assignment
from tasks.models import Assignment, AssignmentState, Item, ProjectStatus
from tests.factories import GroupFactory, QualificationFactory, token_for, verified_worker
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_pool_revocation import _holding  # a live assignment on a new item, and its slots before

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return GroupFactory()


@pytest.fixture
def pool_project(group):
    return ProjectFactory(status=ProjectStatus.PUBLISHED, pool_group=group)


def _member(group):
    worker = verified_worker()
    worker.groups.add(group)
    return worker


def _state(held):
    return Assignment.objects.get(pk=held.pk).state


LEAVING = {
    "user.groups.remove": lambda worker, group: worker.groups.remove(group),
    "group.user_set.remove": lambda worker, group: group.user_set.remove(worker),
    "user.groups.clear": lambda worker, group: worker.groups.clear(),
    "group.user_set.clear": lambda worker, group: group.user_set.clear(),
    "user.groups.set": lambda worker, group: worker.groups.set([]),
}


@pytest.mark.parametrize("leave", LEAVING)
def test_leaving_the_pools_group_ends_the_work_there_and_gives_the_slot_back(group, pool_project, leave):
    worker = _member(group)
    held, slots = _holding(pool_project, worker)
    elsewhere, _ = _holding(ProjectFactory(status=ProjectStatus.PUBLISHED), worker)
    assert Item.objects.get(pk=held.item_id).open_slots == slots - 1

    LEAVING[leave](worker, group)

    assert _state(held) == AssignmentState.RELEASED
    assert Item.objects.get(pk=held.item_id).open_slots == slots
    assert _state(elsewhere) == AssignmentState.LIVE  # an open project is not the group's pool


def test_the_next_submit_is_refused_with_the_reason(api_client, group, pool_project):
    worker = _member(group)
    held, _ = _holding(pool_project, worker)
    worker.groups.remove(group)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(worker)}")
    response = api_client.post(reverse("api-assignment-submit", args=[held.pk]), {"answer": "Phone"}, format="json")
    assert response.status_code == 403 and response.json()["detail"] == assignment.LEFT_POOL
    assert not Annotation.objects.filter(assignment_id=held.pk).exists()


def test_emptying_the_group_ends_every_members_work_in_its_pools(group, pool_project):
    ItemFactory(project=pool_project)  # three slots: both members are given it
    held = [assignment.assignment_next(worker=_member(group), project=pool_project).assignment for _ in range(2)]
    assert None not in held
    group.user_set.clear()
    assert [_state(h) for h in held] == [AssignmentState.RELEASED, AssignmentState.RELEASED]


def test_a_worker_the_pool_still_admits_by_its_qualification_keeps_their_work(group):
    qualification = QualificationFactory()
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_group=group, pool_qualification=qualification)
    worker = _member(group)
    accounts_services.qualification_grant(qualification=qualification, workers=[worker])
    held, _ = _holding(project, worker)
    worker.groups.remove(group)
    assert _state(held) == AssignmentState.LIVE


def test_leaving_another_group_or_joining_one_changes_nothing(group, pool_project):
    worker = _member(group)
    other = GroupFactory()
    worker.groups.add(other)
    held, _ = _holding(pool_project, worker)
    worker.groups.remove(other)
    worker.groups.add(GroupFactory())
    assert _state(held) == AssignmentState.LIVE


def test_a_queued_assignment_pushed_to_the_worker_ends_too(group, pool_project):
    worker = _member(group)
    ItemFactory(project=pool_project)
    pushed = assignment.assignment_push_batch(project=pool_project, count=1)
    assert pushed == {worker.pk: 1}
    queued = Assignment.objects.get(worker=worker, project=pool_project)
    assert queued.state == AssignmentState.QUEUED
    worker.groups.remove(group)
    assert _state(queued) == AssignmentState.RELEASED
