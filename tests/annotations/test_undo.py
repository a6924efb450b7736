"""Undo of the last answer, and the count of items left: the workspace's two endpoints beside submit."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import WorkerProfile
from annotations import services
from annotations.models import Annotation
from tasks import assignment as assignment_service
from tasks.models import Assignment, AssignmentState, Item, ItemState, ProjectStatus
from tests.annotations.test_submit import _api, submit
from tests.factories import IntegratorFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.concurrency import all_at_once
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker():
    return verified_worker()


@pytest.fixture
def project():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3)
    ItemFactory.create_batch(3, project=project)
    return project


def _claim(worker, project):
    return assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(0)).assignment


def _answered(api_client, worker, project, answer="TV"):
    """The worker answers one item through the API and is handed the next: (answered, next) assignments."""
    first = _claim(worker, project)
    body = submit(_api(api_client, worker), first.pk, answer).json()
    return Assignment.objects.get(pk=first.pk), Assignment.objects.get(pk=body["next"]["id"])


def undo(api_client, assignment_id):
    return api_client.post(reverse("api-assignment-undo", args=[assignment_id]))


def _state(assignment):
    return Assignment.objects.get(pk=assignment.pk).state


def test_undo_reopens_the_last_answer_and_puts_the_next_item_back(api_client, worker, project):
    answered, following = _answered(api_client, worker, project)
    slots_before = Item.objects.get(pk=following.item_id).open_slots

    response = undo(api_client, answered.pk)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["assignment"]["id"] == answered.pk and body["assignment"]["item"]["id"] == answered.item_id
    assert body["answer"] == "TV"
    assert _state(answered) == AssignmentState.LIVE and Assignment.objects.get(pk=answered.pk).finished_at is None
    assert not Annotation.objects.filter(worker=worker).exists()
    assert Item.objects.get(pk=answered.item_id).submitted_count == 0
    assert _state(following) == AssignmentState.RELEASED
    assert Item.objects.get(pk=following.item_id).open_slots == slots_before + 1
    # The worker answers the item again, differently; the new answer is the one stored.
    again = submit(api_client, answered.pk, "Phone")
    assert again.status_code == 201, again.json()
    assert list(Annotation.objects.filter(worker=worker).values_list("item_id", "answer")) == [(answered.item_id, "Phone")]
    assert Item.objects.get(pk=answered.item_id).submitted_count == 1


def test_undo_with_no_next_item_reopens_the_answer_alone(api_client, worker):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0)
    item = ItemFactory(project=project)
    first = _claim(worker, project)
    assert submit(_api(api_client, worker), first.pk, "TV").json()["next"] is None
    assert undo(api_client, first.pk).status_code == 200
    assert _state(first) == AssignmentState.LIVE and Item.objects.get(pk=item.pk).submitted_count == 0


def test_undo_after_the_lease_ran_out_is_refused_and_changes_nothing(api_client, worker, project):
    answered, following = _answered(api_client, worker, project)
    Assignment.objects.filter(pk=answered.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = undo(api_client, answered.pk)
    assert response.status_code == 409 and response.json()["code"] == "expired"
    assert _state(answered) == AssignmentState.SUBMITTED and _state(following) == AssignmentState.LIVE
    assert Annotation.objects.filter(assignment=answered).exists()


def test_undo_of_a_decided_item_is_refused(api_client, worker, project):
    answered, following = _answered(api_client, worker, project)
    Item.objects.filter(pk=answered.item_id).update(state=ItemState.ACCEPTED)
    response = undo(api_client, answered.pk)
    assert response.status_code == 409 and response.json()["code"] == "decided"
    assert _state(answered) == AssignmentState.SUBMITTED and _state(following) == AssignmentState.LIVE


def test_only_the_last_answer_can_be_undone_and_only_once(api_client, worker, project):
    first, second = _answered(api_client, worker, project)
    submit(api_client, second.pk, "Phone")
    response = undo(api_client, first.pk)
    assert response.status_code == 409 and response.json()["code"] == "not_last"
    assert _state(first) == AssignmentState.SUBMITTED
    assert undo(api_client, second.pk).status_code == 200
    repeat = undo(api_client, second.pk)
    assert repeat.status_code == 409 and repeat.json()["code"] == "not_live"
    assert Annotation.objects.filter(worker=worker).count() == 1


def test_undo_denies_the_anonymous_another_worker_an_integrator_and_a_suspended_worker(api_client, worker, project):
    answered, following = _answered(api_client, worker, project)
    url = reverse("api-assignment-undo", args=[answered.pk])
    assert APIClient().post(url).status_code == 401
    assert _api(APIClient(), IntegratorFactory()).post(url).status_code == 403
    other = _api(APIClient(), verified_worker()).post(url)
    assert other.status_code == 403 and other.json()["code"] == "not_yours"
    WorkerProfile.objects.filter(user=worker).update(suspended=True, suspended_reason="copying answers")
    suspended = _api(APIClient(), worker).post(url)
    assert suspended.status_code == 403 and "copying answers" in suspended.json()["detail"]
    # Nothing changed for any of them.
    assert _state(answered) == AssignmentState.SUBMITTED and _state(following) == AssignmentState.LIVE
    assert Annotation.objects.filter(assignment=answered).exists()
    assert Item.objects.get(pk=answered.item_id).submitted_count == 1


def test_undo_of_a_missing_assignment_is_refused(api_client, worker):
    assert undo(_api(api_client, worker), 999999).status_code == 403


# --- Items left ------------------------------------------------------------------------------------

def test_items_left_counts_free_unseen_items_and_the_one_held(api_client, worker, project):
    url = reverse("api-project-items-left", args=[project.pk])
    assert _api(api_client, worker).get(url).json() == {"left": 3, "capped": False}
    _answered(api_client, worker, project)  # one answered, the next one held
    assert api_client.get(url).json()["left"] == 2
    ItemFactory(project=project, is_gold=True, gold="TV")  # gold checks come on top: not counted
    assert api_client.get(url).json()["left"] == 2


def test_items_left_denies_the_anonymous_an_integrator_and_a_suspended_worker(api_client, worker, project):
    url = reverse("api-project-items-left", args=[project.pk])
    assert APIClient().get(url).status_code == 401
    assert _api(APIClient(), IntegratorFactory()).get(url).status_code == 403
    WorkerProfile.objects.filter(user=worker).update(suspended=True, suspended_reason="copying answers")
    refused = _api(APIClient(), worker).get(url)
    assert refused.status_code == 403 and "copying answers" in refused.json()["detail"]


# --- Under concurrency -----------------------------------------------------------------------------

def _in_threads(*calls):
    return all_at_once(list(calls))


def _submitted_with_next(worker, project):
    first = _claim(worker, project)
    services.annotation_submit(worker=worker, assignment_id=first.pk, answer="TV")
    return first, _claim(worker, project)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_undos_at_once_reopen_the_answer_once(worker, project):
    answered, following = _submitted_with_next(worker, project)
    slots = Item.objects.get(pk=following.item_id).open_slots
    results = _in_threads(*[lambda: services.annotation_undo(worker=worker, assignment_id=answered.pk)] * 4)
    assert sum(isinstance(r, services.Undone) for r in results) == 1, results
    assert all(isinstance(r, services.AssignmentError) for r in results if not isinstance(r, services.Undone))
    assert _state(answered) == AssignmentState.LIVE and _state(following) == AssignmentState.RELEASED
    assert Item.objects.get(pk=answered.item_id).submitted_count == 0
    assert Item.objects.get(pk=following.item_id).open_slots == slots + 1
    assert not Annotation.objects.filter(worker=worker).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_undo_racing_the_next_submission_leaves_one_consistent_outcome(worker, project):
    """Either the undo wins (the next item is released unanswered) or the submission does (the undo is
    refused: its answer is no longer the last); never both, never a second live assignment."""
    answered, following = _submitted_with_next(worker, project)
    undone, stored = _in_threads(
        lambda: services.annotation_undo(worker=worker, assignment_id=answered.pk),
        lambda: services.annotation_submit(worker=worker, assignment_id=following.pk, answer="Phone"),
    )
    live = Assignment.objects.filter(worker=worker, state=AssignmentState.LIVE)
    if isinstance(undone, services.Undone):
        assert isinstance(stored, services.AssignmentError)
        assert list(live.values_list("pk", flat=True)) == [answered.pk]
        assert _state(following) == AssignmentState.RELEASED
        assert not Annotation.objects.filter(worker=worker).exists()
    else:
        assert isinstance(undone, services.AssignmentError) and undone.code == "not_last"
        assert isinstance(stored, services.Submitted)
        assert not live.exists()
        assert Annotation.objects.filter(worker=worker).count() == 2
    for item in Item.objects.filter(project=project):
        assert item.submitted_count == Annotation.objects.filter(item=item).count()
