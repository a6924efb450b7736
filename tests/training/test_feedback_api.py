"""POST /api/projects/{id}/feedback/: batches of events, validated (400 naming the event and field),
idempotent by the caller's event id, scoped to the organisation."""

import json
from datetime import UTC, datetime, timedelta, timezone

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


def _refusals(response) -> list[tuple]:
    assert response.status_code == 400, response.content
    return [(error["index"], error["field"], error["message"]) for error in response.json()["errors"]]


def test_a_time_with_its_zone_is_stored_as_that_moment(integrator, project):
    sent = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    moment = sent.astimezone(timezone(timedelta(hours=2))).isoformat()  # e.g. ...T14:00:00+02:00
    assert post(integrator, project, [feedback_event(1, occurred_at=moment)]).status_code == 201
    assert FeedbackEvent.objects.get().occurred_at == sent


def test_a_time_must_have_its_zone_be_a_string_and_be_plausible(integrator, project):
    """Without a zone the moment is a guess (it was taken in the server's zone); a number is seconds or
    milliseconds, whichever fits; past the clock skew it is a wrong clock; older than a year, a mistake."""
    now = datetime.now(UTC)
    batch = [feedback_event(0), feedback_event(1, occurred_at="2026-05-01T12:00:00"),
             feedback_event(2, occurred_at=1714564800), feedback_event(3, occurred_at=True),
             feedback_event(4, occurred_at=(now + timedelta(minutes=10)).isoformat()),
             feedback_event(5, occurred_at=(now - timedelta(days=366)).isoformat()),
             feedback_event(6, occurred_at="1970-01-01T00:00:00Z"), feedback_event(7, occurred_at="yesterday"),
             feedback_event(8, occurred_at=(now + timedelta(minutes=4)).isoformat()),
             feedback_event(9, occurred_at=(now - timedelta(days=364)).isoformat())]
    refused = _refusals(post(integrator, project, batch))
    assert [(index, field) for index, field, _ in refused] == [(n, "occurred_at") for n in range(1, 8)]
    messages = [message for _, _, message in refused]
    assert "with its zone" in messages[0] and "not a time without its zone" in messages[0]
    assert "ISO 8601" in messages[1] and "a number" in messages[1] and "a boolean" in messages[2]
    assert "in the future: more than 5 minutes" in messages[3]
    assert "more than 365 days ago" in messages[4] and "more than 365 days ago" in messages[5]
    assert not FeedbackEvent.objects.exists()
    assert post(integrator, project, [batch[0], batch[8], batch[9]]).status_code == 201  # within the bounds


def test_confidence_must_be_a_number_from_0_to_1(integrator, project):
    """A JSON number: not "0.5" (taken silently before), not true (Python's 1), not 1e999 (infinity), not 1.5."""
    values = ["0.5", True, 1e999, -0.1, 1.5, {"p": 0.5}]
    body = json.dumps({"events": [feedback_event(n, confidence=value) for n, value in enumerate(values)]})
    # As a client sends it: 1e999, which Python's JSON reads as infinity (the word Infinity the parser refuses).
    body = body.replace("Infinity", "1e999")
    response = integrator.post(reverse("api-project-feedback", args=[project.pk]), body,
                               content_type="application/json")
    refused = _refusals(response)
    assert [(index, field) for index, field, _ in refused] == [(n, "confidence") for n in range(len(values))]
    assert [message for _, _, message in refused] == [
        "must be a number from 0 to 1, not a string", "must be a number from 0 to 1, not a boolean",
        "must be a number from 0 to 1, not inf", "must be a number from 0 to 1, not -0.1",
        "must be a number from 0 to 1, not 1.5", "must be a number from 0 to 1, not an object"]
    edges = [feedback_event(0, confidence=0), feedback_event(1, confidence=1), feedback_event(2, confidence=None)]
    assert post(integrator, project, edges).status_code == 201
    assert sorted(FeedbackEvent.objects.values_list("confidence", flat=True), key=str) == [0.0, 1.0, None]


def test_nan_is_refused_as_a_confidence_by_the_service_too():
    """JSON has no NaN (the parser refuses it), but the service takes Python values."""
    with pytest.raises(feedback.FeedbackInvalid) as refused:
        feedback.feedback_store(project=ProjectFactory(), events=[feedback_event(0, confidence=float("nan"))])
    assert refused.value.errors == [{"index": 0, "field": "confidence",
                                     "message": "must be a number from 0 to 1, not nan"}]


@pytest.mark.parametrize("event_id,problem", [
    ("   ", "must not be blank"), ("", "must not be blank"), (" evt-1", "whitespace"), ("evt-1\n", "whitespace"),
    ("evt\t1", "does not print"), ("evt\u00a01", "does not print"), ("e" * 101, "at most 100 characters"),
    (17, "must be a string, not a number")])
def test_an_event_id_must_be_a_printable_bounded_identifier(integrator, project, event_id, problem):
    refused = _refusals(post(integrator, project, [feedback_event(0), feedback_event(1, event_id=event_id)]))
    assert [(index, field) for index, field, _ in refused] == [(1, "event_id")]
    assert problem in refused[0][2]


TIME = "must be an ISO 8601 date and time with its zone, e.g. 2026-12-01T09:30:00Z"


@pytest.mark.parametrize("event,field,message", [
    (1, None, "each event must be an object with event_id, predicted_label, outcome, occurred_at, not a number"),
    ([], None, "each event must be an object with event_id, predicted_label, outcome, occurred_at, not a list"),
    (feedback_event(1, event_id=""), "event_id", "must not be blank"),
    (feedback_event(1, occurred_at="2026-12-01"), "occurred_at", f"{TIME}, not a date alone"),
    (feedback_event(1, occurred_at="2026-12-01T09:30:00"), "occurred_at", f"{TIME}, not a time without its zone"),
    (feedback_event(1, occurred_at="next tuesday"), "occurred_at", f"{TIME}, not 'next tuesday'"),
    (feedback_event(1, occurred_at="2026-13-01T09:30:00Z"), "occurred_at", f"{TIME}, not '2026-13-01T09:30:00Z'"),
    (feedback_event(1, outcome="liked"), "outcome",
     "must be one of 'clicked', 'bought', 'ignored', 'reported_wrong' or 'corrected'"),
    (feedback_event(1, model_version=0), "model_version", "must be 1 or more"),
    (feedback_event(1, model_version="two"), "model_version", "must be a whole number, not a string"),
    (feedback_event(1, colour="red"), "colour", "is not a field of an event (they are: event_id, model_version, "
     "item, text, predicted_label, confidence, outcome, corrected_label, actor, occurred_at)"),
    ({"event_id": "x", "predicted_label": "TV", "outcome": "clicked", "text": "t"}, "occurred_at",
     "is missing: every event needs it"),
])
def test_shape_problems_are_said_in_the_apis_words_not_pydantics(integrator, project, event, field, message):
    """Each of pydantic's error types in our wording (what to send), never its class names or its own phrases."""
    assert _refusals(post(integrator, project, [event])) == [(0, field, message)]


def test_an_unforeseen_problem_never_names_an_internal_class():
    said = feedback._message({"type": "is_instance_of", "msg": "Input should be an instance of FeedbackIn",
                              "input": 1, "ctx": {"class": "FeedbackIn"}})
    assert "FeedbackIn" not in said and "Input should" not in said


def test_an_event_id_of_any_language_and_the_longest_is_taken(integrator, project):
    ids = ["événement-1", "注文:42/a b", "e" * 100]
    assert post(integrator, project, [feedback_event(n, event_id=i) for n, i in enumerate(ids)]).status_code == 201
    assert sorted(FeedbackEvent.objects.values_list("event_id", flat=True)) == sorted(ids)


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
