"""The practice round: practice items first, feedback after each, never counted as real work; gold stays secret."""

import random

import pytest
from django.urls import reverse

from annotations.models import Annotation
from annotations.selectors import items_left_for, worker_summary
from tasks import assignment as assignment_service
from tasks import practice
from tasks.models import Assignment, PracticeAnswer, PracticeItem, ProjectStatus
from tasks.selectors import project_statistics, projects_with_progress
from tests.annotations.test_submit import _api, worker  # noqa: F401  (worker is a fixture)
from tests.factories import AnnotatorFactory, IntegratorFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    """Two practice items required of three; three real items and one gold check."""
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, practice_required=2)
    ItemFactory.create_batch(3, project=project)
    ItemFactory(project=project, gold="CPU", gold_explanation="a gold secret", external_id="gold-1")
    for n, (answer, why) in enumerate([("Phone", "It makes calls."), ("TV", "It has a 55-inch screen."),
                                       ("CPU", "It has cores.")]):
        PracticeItem.objects.create(project=project, external_id=f"p{n}", data={"title": f"practice {n}"},
                                    answer=answer, explanation=why)
    return project


def _next(worker, project):
    return assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(0))


def _answer(api_client, practice_id, answer):
    return api_client.post(reverse("api-practice-answer", args=[practice_id]), {"answer": answer}, format="json")


def test_practice_items_come_first_until_the_required_number_is_answered(worker, project):
    first = _next(worker, project)
    assert first.assignment is None and first.practice.item.external_id == "p0"
    assert (first.practice.answered, first.practice.required) == (0, 2)
    assert not Assignment.objects.exists()  # a practice item takes no slot and no lease
    practice.practice_answer_submit(worker=worker, practice_item=first.practice.item, answer="TV")
    second = _next(worker, project)
    assert second.practice.item.external_id == "p1" and second.practice.answered == 1
    practice.practice_answer_submit(worker=worker, practice_item=second.practice.item, answer="TV")
    real = _next(worker, project)
    assert real.practice is None and real.assignment is not None and not real.assignment.item.is_gold


def test_the_round_ends_when_the_project_has_fewer_practice_items_than_required(worker, project):
    project.practice_required = 10
    project.save()
    for item in PracticeItem.objects.filter(project=project):
        turn = _next(worker, project).practice
        assert turn.item == item and turn.required == 3
        practice.practice_answer_submit(worker=worker, practice_item=item, answer="Phone")
    assert _next(worker, project).assignment is not None


def test_a_project_without_a_practice_round_never_asks_for_one(worker, project, monkeypatch):
    project.practice_required = 0
    project.save()

    def must_not_run(**kwargs):
        raise AssertionError("the hot path asked for practice on a project without a round")

    monkeypatch.setattr(practice, "practice_next", must_not_run)
    assert _next(worker, project).assignment is not None


def test_the_next_api_serves_the_practice_item_without_its_answer(api_client, worker, project):
    body = _api(api_client, worker).post(reverse("api-project-next", args=[project.pk])).json()
    assert body["assignment"] is None and body["reason"] == assignment_service.PRACTICE_REASON
    assert body["practice"] == {"id": body["practice"]["id"], "project": project.pk, "answered": 0, "required": 2,
                                "item": {"id": body["practice"]["id"], "data": {"title": "practice 0"}, "media": None}}
    assert "makes calls" not in str(body) and "Phone" not in str(body)
    across = api_client.post(reverse("api-next-any")).json()
    assert across["practice"]["id"] == body["practice"]["id"]


def test_a_wrong_practice_answer_gets_the_right_answer_and_why_once(api_client, worker, project):
    item = PracticeItem.objects.get(external_id="p0")
    response = _answer(_api(api_client, worker), item.pk, "TV")
    assert response.status_code == 201
    assert response.json() == {"correct": False, "answer": "TV", "right_answer": "Phone",
                               "explanation": "It makes calls.", "answered": 1, "required": 2, "created": True}
    retry = _answer(api_client, item.pk, "Phone")  # a retry never changes the first answer
    assert retry.status_code == 200 and retry.json()["correct"] is False and retry.json()["created"] is False
    assert PracticeAnswer.objects.filter(worker=worker).count() == 1
    right = _answer(api_client, PracticeItem.objects.get(external_id="p1").pk, "TV").json()
    assert right["correct"] is True and right["answered"] == 2


def test_a_malformed_practice_answer_stores_nothing(api_client, worker, project):
    item = PracticeItem.objects.get(external_id="p0")
    response = _answer(_api(api_client, worker), item.pk, "Toaster")
    assert response.status_code == 400 and response.json()["code"] == "invalid_answer"
    assert not PracticeAnswer.objects.exists()


def test_practice_counts_toward_nothing_real(api_client, worker, project):
    before = project_statistics(project)
    left_before = items_left_for(worker=worker, project=project)
    for item in PracticeItem.objects.filter(project=project):
        assert _answer(_api(api_client, worker), item.pk, "Phone").status_code == 201
    assert project_statistics(project) == before  # 4 items (1 gold), no labels collected
    assert before["items"] == 4 and before["labels_wanted"] == 3 * project.overlap
    assert projects_with_progress().get(pk=project.pk).item_count == 4
    assert items_left_for(worker=worker, project=project) == left_before == 3
    assert not Annotation.objects.exists() and not Assignment.objects.exists()
    assert worker_summary(worker=worker)["submitted"] == 0
    integrator = _api(api_client, IntegratorFactory())
    assert integrator.get(reverse("api-project-items", args=[project.pk])).json()["count"] == 4
    assert integrator.get(reverse("api-project-results", args=[project.pk])).json()["count"] == 0
    assert integrator.get(reverse("api-project-annotations", args=[project.pk])).json()["count"] == 0


def test_gold_checks_stay_secret_around_practice(api_client, worker, project):
    """A gold item's id is no practice item: its answer and explanation are never given out, and a real
    submission's response says nothing about whether it was right."""
    gold = project.items.get(is_gold=True)
    PracticeItem.objects.filter(pk=gold.pk).delete()  # so the id names only the gold item
    response = _answer(_api(api_client, worker), gold.pk, "CPU")
    assert response.status_code == 404 and "secret" not in response.content.decode()
    for item in PracticeItem.objects.filter(project=project)[:2]:
        _answer(api_client, item.pk, "Phone")
    project.gold_share = 1.0
    project.save()
    body = api_client.post(reverse("api-project-next", args=[project.pk])).json()
    assert body["assignment"]["item"]["id"] == gold.pk and body["practice"] is None
    submitted = api_client.post(reverse("api-assignment-submit", args=[body["assignment"]["id"]]),
                                {"answer": "TV"}, format="json")
    text = submitted.content.decode()
    assert submitted.status_code == 201
    assert "secret" not in text and "right_answer" not in text and "correct" not in text and "CPU" not in text


def test_the_practice_answer_endpoint_denies_outsiders(api_client, project):
    url = reverse("api-practice-answer", args=[PracticeItem.objects.first().pk])
    assert api_client.post(url, {"answer": "TV"}, format="json").status_code == 401
    assert _api(api_client, IntegratorFactory()).post(url, {"answer": "TV"}, format="json").status_code == 403
    unverified = AnnotatorFactory()  # the project is open to verified annotators only
    response = _api(api_client, unverified).post(url, {"answer": "TV"}, format="json")
    assert response.status_code == 403 and "verified" in response.json()["detail"]
    missing = reverse("api-practice-answer", args=[PracticeItem.objects.order_by("-pk").first().pk + 1000])
    assert _api(api_client, verified_worker()).post(missing, {"answer": "TV"}, format="json").status_code == 404
    assert not PracticeAnswer.objects.exists()


def test_admin_sets_the_round_and_adds_practice_items_checked_against_the_labels(client, admin_user, reviewer):
    project = ProjectFactory()
    client.force_login(admin_user)
    assert "practice_required" in client.get(reverse("admin:tasks_project_change", args=[project.pk])).content.decode()
    add = reverse("admin:tasks_practiceitem_add")
    bad = client.post(add, {"project": project.pk, "external_id": "p1", "data": '{"title": "iPhone"}',
                            "answer": '"Toaster"', "explanation": ""})
    assert bad.status_code == 200 and "Unknown label" in bad.content.decode()
    good = client.post(add, {"project": project.pk, "external_id": "p1", "data": '{"title": "iPhone"}',
                             "answer": '"phone"', "explanation": "It rings."})
    assert good.status_code == 302
    assert PracticeItem.objects.get().answer == "Phone"  # stored in canonical form, so comparison is exact
    client.force_login(reviewer)
    assert client.get(add).status_code == 403
    client.force_login(AnnotatorFactory())
    assert client.get(reverse("admin:tasks_practiceitem_changelist")).status_code == 302


def test_the_api_sets_a_projects_practice_round(api_client, project):
    _api(api_client, IntegratorFactory())
    response = api_client.patch(reverse("api-project", args=[project.pk]), {"practice_required": 1}, format="json")
    assert response.status_code == 200 and response.json()["practice_required"] == 1
