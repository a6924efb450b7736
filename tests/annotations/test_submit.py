import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations import submit_sql
from annotations.models import Annotation
from annotations.signals import annotation_submitted
from tasks import assignment as assignment_service
from tasks.models import Assignment, AssignmentState, AssignmentStrategy, Item, ProjectStatus
from tests.factories import IntegratorFactory, token_for
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker
from tests.tasks.test_assignment import took_work_recently

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker():
    return verified_worker()


def _api(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api_client


def _claim(worker, project):
    return assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(0)).assignment


@pytest.fixture
def classification():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0)
    ItemFactory.create_batch(3, project=project)
    return project


@pytest.fixture
def ner():
    project = ProjectFactory(span=True, status=ProjectStatus.PUBLISHED, gold_share=0.0)
    ItemFactory(project=project, data={"text": "nike air max red"})
    return project


def submit(api_client, assignment_id, answer, **extra):
    return api_client.post(reverse("api-assignment-submit", args=[assignment_id]), {"answer": answer, **extra}, format="json")


def test_a_good_answer_is_stored_once_and_the_next_item_comes_back(api_client, worker, classification):
    assignment = _claim(worker, classification)
    response = submit(_api(api_client, worker), assignment.pk, "TV")
    assert response.status_code == 201, response.json()
    annotation = Annotation.objects.get()
    assert annotation.answer == "TV" and annotation.worker == worker and annotation.seconds_spent >= 0
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.SUBMITTED
    assert Item.objects.get(pk=assignment.item_id).submitted_count == 1
    assert response.json()["next"]["item"]["id"] != assignment.item_id


def test_time_spent_is_measured_on_the_server(api_client, worker, classification):
    assignment = _claim(worker, classification)
    Assignment.objects.filter(pk=assignment.pk).update(started_at=timezone.now() - timedelta(seconds=42))
    submit(_api(api_client, worker), assignment.pk, "TV", seconds_spent=1)
    assert 42 <= Annotation.objects.get().seconds_spent < 60


@pytest.mark.parametrize("answer, message", [
    ("Toaster", "Unknown label 'Toaster'"),
    (["TV"], "one label name"),
    ({"labels": "x"}, "one label name"),
])
def test_malformed_classification_answers_store_nothing(api_client, worker, classification, answer, message):
    assignment = _claim(worker, classification)
    response = submit(_api(api_client, worker), assignment.pk, answer)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Annotation.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.LIVE


@pytest.mark.parametrize("spans, message", [
    ([{"start": 0, "end": 40, "label": "ORG"}], "outside the text"),
    ([{"start": 0, "end": 8, "label": "ORG"}, {"start": 5, "end": 12, "label": "ORG"}], "overlap"),
    ([{"start": 0, "end": 4, "label": "BRAND"}], "Unknown label 'BRAND'"),
    ([{"start": "0", "end": 4, "label": "ORG"}], "whole numbers"),
])
def test_bad_spans_store_nothing(api_client, worker, ner, spans, message):
    assignment = _claim(worker, ner)
    response = submit(_api(api_client, worker), assignment.pk, spans)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_good_spans_are_stored_as_character_offsets(api_client, worker, ner):
    assignment = _claim(worker, ner)
    spans = [{"start": 13, "end": 16, "label": "LOC"}, {"start": 0, "end": 4, "label": "ORG"}]
    assert submit(_api(api_client, worker), assignment.pk, spans).status_code == 201
    assert Annotation.objects.get().answer == sorted(spans, key=lambda s: s["start"])


def test_an_expired_lease_is_refused_with_409_and_the_slot_returns(api_client, worker, classification):
    assignment = _claim(worker, classification)
    Assignment.objects.filter(pk=assignment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = submit(_api(api_client, worker), assignment.pk, "TV")
    assert response.status_code == 409 and response.json()["code"] == "expired"
    assert not Annotation.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.EXPIRED
    assert Item.objects.get(pk=assignment.item_id).open_slots == classification.overlap


def test_a_double_submit_returns_the_first_annotation(api_client, worker, classification):
    assignment = _claim(worker, classification)
    client = _api(api_client, worker)
    first = submit(client, assignment.pk, "TV")
    again = submit(client, assignment.pk, "Phone")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["annotation_id"] == first.json()["annotation_id"]
    assert Annotation.objects.count() == 1 and Annotation.objects.get().answer == "TV"
    assert Item.objects.get(pk=assignment.item_id).submitted_count == 1


def test_someone_elses_assignment_is_refused(api_client, worker, classification):
    assignment = _claim(worker, classification)
    response = submit(_api(api_client, verified_worker()), assignment.pk, "TV")
    assert response.status_code == 403 and "not yours" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_a_skipped_assignment_cannot_be_submitted(api_client, worker, classification):
    assignment = _claim(worker, classification)
    client = _api(api_client, worker)
    assert client.post(reverse("api-assignment-skip", args=[assignment.pk])).status_code == 200
    response = submit(client, assignment.pk, "TV")
    assert response.status_code == 409 and response.json()["code"] == "not_live"
    assert not Annotation.objects.exists()


def test_the_signal_is_sent_on_commit(worker, classification, django_capture_on_commit_callbacks):
    from annotations.services import annotation_submit

    received = []
    annotation_submitted.connect(lambda **kw: received.append(kw["item_id"]), weak=False, dispatch_uid="t")
    try:
        assignment = _claim(worker, classification)
        with django_capture_on_commit_callbacks(execute=True):
            annotation_submit(worker=worker, assignment_id=assignment.pk, answer="TV")
    finally:
        annotation_submitted.disconnect(dispatch_uid="t")
    assert received == [assignment.item_id]


def test_annotators_never_read_annotations_and_integrators_do(api_client, worker, classification):
    assignment = _claim(worker, classification)
    submit(_api(api_client, worker), assignment.pk, "TV")
    url = reverse("api-project-annotations", args=[classification.pk])
    assert api_client.get(url).status_code == 403  # still the annotator's token
    api_client.credentials()
    assert api_client.get(url).status_code == 401
    rows = _api(api_client, IntegratorFactory()).get(url, {"item": assignment.item_id}).json()
    assert rows["count"] == 1 and rows["results"][0]["answer"] == "TV"


def test_the_annotator_payload_never_carries_gold(api_client, worker):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=1.0)
    ItemFactory(project=project, gold="Phone", gold_explanation="it is a phone", external_id="gold-17")
    ItemFactory(project=project)
    body = _api(api_client, worker).post(reverse("api-project-next", args=[project.pk])).content.decode()
    assert "gold" not in body and "it is a phone" not in body and "Phone" not in body
    assert set(api_client.post(reverse("api-project-next", args=[project.pk])).json()["assignment"]["item"]) == {"id", "data", "media"}


def test_submit_and_next_endpoints_deny_outsiders(api_client, worker, classification):
    assignment = _claim(worker, classification)
    endpoints = [
        reverse("api-assignment-submit", args=[assignment.pk]), reverse("api-project-next", args=[classification.pk]),
        reverse("api-next-any"), reverse("api-assignment-skip", args=[assignment.pk]),
        reverse("api-assignment-release", args=[assignment.pk]),
    ]
    for url in endpoints:
        assert api_client.post(url, {"answer": "TV"}, format="json").status_code == 401
    _api(api_client, IntegratorFactory())
    for url in endpoints:
        assert api_client.post(url, {"answer": "TV"}, format="json").status_code == 403
    assert not Annotation.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.LIVE


def test_the_fast_annotator_payload_equals_the_documented_serializer(worker):
    from django.core.files.base import ContentFile

    from tasks.serializers import AnnotatorAssignmentSerializer, annotator_assignment_data

    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0)
    item = ItemFactory(project=project, data={"title": "red shoe"})
    item.media.save("shoe.png", ContentFile(b"png"), save=True)
    assignment = _claim(worker, project)
    assert annotator_assignment_data(assignment) == AnnotatorAssignmentSerializer(assignment).data
    stored = Assignment.objects.select_related("item").get(pk=assignment.pk)
    assert annotator_assignment_data(assignment) == AnnotatorAssignmentSerializer(stored).data
    assert annotator_assignment_data(assignment)["item"]["media"] == f"/api/items/{item.pk}/media/"


def test_a_suspended_worker_is_refused_next_over_the_api_with_the_reason(api_client, worker, classification):
    from accounts.models import WorkerProfile

    WorkerProfile.objects.filter(user=worker).update(suspended=True, suspended_reason="copying answers")
    response = _api(api_client, worker).post(reverse("api-project-next", args=[classification.pk]))
    assert response.status_code == 403 and "copying answers" in response.json()["detail"]


def test_next_on_a_missing_project_is_404(api_client, worker):
    assert _api(api_client, worker).post(reverse("api-project-next", args=[999999])).status_code == 404


def test_a_skip_between_reading_and_writing_a_submission_stores_nothing(worker, classification):
    """The write is conditional: an assignment skipped after the submission read it stays skipped."""
    now = timezone.now()
    assignment = _claim(worker, classification)
    read = assignment_service.assignment_for_submit(assignment_id=assignment.pk, worker=worker, now=now)
    assignment_service.assignment_skip(assignment_id=assignment.pk, worker=worker)
    answer = Annotation(
        project=classification, item=read.item, worker=worker, assignment=read, answer="Phone", seconds_spent=1.0
    )
    assert submit_sql.answer_store(answer, assignment=read, now=now) is False
    assert not Annotation.objects.exists()
    assert Assignment.objects.get(pk=assignment.pk).state == AssignmentState.SKIPPED
    assert Item.objects.get(pk=assignment.item_id).submitted_count == 0


@pytest.fixture
def contested(settings):
    """A weighted project whose last items a strong worker's pace outruns, and a worker of weight 0, who
    is then never admitted (deterministic). Returns (project, weak worker, strong worker)."""
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    project = ProjectFactory(
        status=ProjectStatus.PUBLISHED, overlap=1, gold_share=0.0, assignment_strategy=AssignmentStrategy.WEIGHTED
    )
    ItemFactory.create_batch(3, project=project)
    return project, verified_worker(weight=0.0), verified_worker(weight=2.0)


def test_a_refused_next_says_when_to_retry_in_the_json_and_a_retry_after_header(api_client, contested):
    project, weak, strong = contested
    took_work_recently(project, [strong], items_each=10)
    response = _api(api_client, weak).post(reverse("api-project-next", args=[project.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["assignment"] is None and "priority" in body["reason"]
    assert body["retry_after"] == assignment_service.RETRY_AFTER_SECONDS
    assert response["Retry-After"] == str(assignment_service.RETRY_AFTER_SECONDS)


def test_a_submit_whose_next_is_refused_says_when_to_retry(api_client, contested):
    project, weak, strong = contested
    assignment = _claim(weak, project)  # served: nobody else is working yet
    took_work_recently(project, [strong], items_each=10)
    response = submit(_api(api_client, weak), assignment.pk, "TV")
    assert response.status_code == 201
    body = response.json()
    assert body["next"] is None and body["retry_after"] == assignment_service.RETRY_AFTER_SECONDS
    assert response["Retry-After"] == str(assignment_service.RETRY_AFTER_SECONDS)


def test_no_retry_hint_when_the_work_is_simply_done(api_client, worker):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=1)
    ItemFactory(project=project)
    response = submit(_api(api_client, worker), _claim(worker, project).pk, "TV")
    assert response.json()["next"] is None and response.json()["retry_after"] is None
    assert "Retry-After" not in response
    response = api_client.post(reverse("api-project-next", args=[project.pk]))
    assert response.json()["retry_after"] is None and "Retry-After" not in response
