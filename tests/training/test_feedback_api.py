"""POST /api/projects/{id}/feedback/: batches of events, validated (400 naming the event and field),
idempotent by the caller's event id, scoped to the organisation."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.concurrency import all_at_once
from tests.factories import IntegratorFactory, OrganisationFactory, default_organisation, member_of
from tests.helpers import api_as
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory
from tests.training.feedback_events import feedback_event
from training import feedback
from training.models import FeedbackActor, FeedbackEvent, FeedbackOutcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(organisation=default_organisation())


@pytest.fixture
def integrator(api_client):
    return api_as(api_client, member_of(default_organisation(), IntegratorFactory()))


def post(client, project, events):
    return client.post(reverse("api-project-feedback", args=[project.pk]), {"events": events}, format="json")


def test_a_batch_is_stored_once_however_often_it_is_replayed(integrator, project):
    batch = [feedback_event(n) for n in range(50)]
    first = post(integrator, project, batch)
    assert first.status_code == 201, first.content
    assert first.json() == {"received": 50, "stored": 50, "duplicates": 0}
    again = post(integrator, project, batch + [feedback_event(50)])
    assert again.json() == {"received": 51, "stored": 1, "duplicates": 50}
    assert FeedbackEvent.objects.filter(project=project).count() == 51
    assert sorted(FeedbackEvent.objects.values_list("event_id", flat=True)) == sorted(f"evt-{n}" for n in range(51))


def test_an_event_repeated_inside_a_batch_is_stored_once_and_counted_as_a_duplicate(integrator, project):
    first = post(integrator, project, [feedback_event(1, outcome="clicked"), feedback_event(2),
                                       feedback_event(1, outcome="ignored")])
    assert first.json() == {"received": 3, "stored": 2, "duplicates": 1}
    assert FeedbackEvent.objects.get(event_id="evt-1").outcome == FeedbackOutcome.CLICKED  # the first one is kept
    # Stored ones replayed, a new one repeated: each is counted once as what it is.
    again = post(integrator, project, [feedback_event(3), feedback_event(2), feedback_event(3), feedback_event(1)])
    assert again.json() == {"received": 4, "stored": 1, "duplicates": 3}
    assert sorted(FeedbackEvent.objects.values_list("event_id", flat=True)) == ["evt-1", "evt-2", "evt-3"]


def test_the_same_event_ids_in_another_project_are_other_events(integrator, project):
    other = ProjectFactory(organisation=default_organisation())
    batch = [feedback_event(n) for n in range(3)]
    assert post(integrator, project, batch).json()["stored"] == 3
    assert post(integrator, other, batch).json() == {"received": 3, "stored": 3, "duplicates": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_replays_posted_at_once_store_each_event_once_and_count_it_once(project):
    """Four services post the same 200 events at once, each with its own connection: the unique constraint,
    not a read before the write, decides, so the stored counts add up to the events."""
    batch = [feedback_event(n) for n in range(200)]
    results = all_at_once([lambda: feedback.feedback_store(project=project, events=batch) for _ in range(4)])
    assert [type(result) for result in results] == [dict] * 4, results
    assert sum(result["stored"] for result in results) == 200
    assert all(result["received"] == result["stored"] + result["duplicates"] == 200 for result in results)
    assert FeedbackEvent.objects.filter(project=project).count() == 200


def test_a_time_without_a_zone_is_taken_in_the_default_zone(integrator, project, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert post(integrator, project, [feedback_event(1, occurred_at="2026-05-01T12:00:00")]).status_code == 201
    assert FeedbackEvent.objects.get().occurred_at == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # 12:00 in Berlin


def test_unstorable_text_is_refused_in_the_errors_list_with_every_other_problem(integrator, project):
    """NUL and lone surrogates, wherever they are, in the same shape as any other bad event, all in one answer."""
    batch = [feedback_event(0), feedback_event(1, text="bad \x00 text"), feedback_event(2, outcome="liked"),
             feedback_event(3, event_id="half \ud800"), feedback_event(4, predicted_label="Toaster")]
    body = json.dumps({"events": batch})  # ASCII: the lone surrogate travels as its \\u escape, as a client sends it
    response = integrator.post(reverse("api-project-feedback", args=[project.pk]), body, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid feedback: nothing was stored."
    assert [(error["index"], error["field"]) for error in body["errors"]] == [
        (1, "text"), (2, "outcome"), (3, "event_id"), (4, "predicted_label")]
    assert "NUL character" in body["errors"][0]["message"] and "lone surrogate" in body["errors"][2]["message"]
    assert not FeedbackEvent.objects.exists()


def test_each_event_is_stored_compactly_with_its_references(integrator, project):
    version = ModelVersionFactory(project=project)
    item = ItemFactory(project=project, external_id="sku-1")
    response = post(integrator, project, [
        feedback_event(1, outcome="corrected", model_version=version.version, item="sku-1", predicted_label="TV",
                       corrected_label="Phone", actor="merchant")])
    assert response.status_code == 201, response.content
    stored = FeedbackEvent.objects.get()
    assert (stored.model_version_id, stored.item_id, stored.text) == (version.pk, item.pk, "")
    assert (stored.outcome, stored.actor, stored.corrected_label) == (FeedbackOutcome.CORRECTED, FeedbackActor.MERCHANT,
                                                                      "Phone")


def test_an_invalid_event_is_named_by_its_index_and_field_and_nothing_is_stored(integrator, project):
    batch = [feedback_event(0), feedback_event(1, outcome="liked"), feedback_event(2, outcome="corrected",
                                                                                   corrected_label=None),
             feedback_event(3, predicted_label="Toaster"), feedback_event(4, model_version=99),
             feedback_event(5, item="no-such-sku")]
    response = post(integrator, project, batch)
    assert response.status_code == 400
    found = {(error["index"], error["field"]) for error in response.json()["errors"]}
    # Every problem in one answer: the shapes, and the references of the events whose shape is right.
    assert found == {(1, "outcome"), (2, "corrected_label"), (3, "predicted_label"), (4, "model_version"),
                     (5, "item")}
    assert not FeedbackEvent.objects.exists()
    response = post(integrator, project, [feedback_event(0)] + batch[3:])
    assert {(e["index"], e["field"]) for e in response.json()["errors"]} == {
        (1, "predicted_label"), (2, "model_version"), (3, "item")}
    assert post(integrator, project, []).status_code == 400
    assert post(integrator, project, [{"event_id": "x"}]).json()["errors"][0]["index"] == 0


def test_another_organisations_project_does_not_exist_for_the_integrator(api_client):
    theirs = ProjectFactory(organisation=OrganisationFactory())
    client = api_as(api_client, member_of(default_organisation(), IntegratorFactory()))
    assert post(client, theirs, [feedback_event(1)]).status_code == 404
    assert not FeedbackEvent.objects.exists()
