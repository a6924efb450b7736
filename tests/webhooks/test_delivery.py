"""Webhooks out: signed in the Standard Webhooks layout, retried with back-off, every attempt logged, sent
once per event and endpoint; a receiver detects a wrong signature; nothing queued where no endpoint listens."""

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from quality import signals as quality_signals
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.training.factories import RunFactory
from tests.webhooks.factories import WebhookEndpointFactory
from training import signals as training_signals
from training.models import RunStatus
from webhooks import celery_tasks, services
from webhooks.models import DeliveryState, EventType, WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(webhook_receiver):
    endpoint = WebhookEndpointFactory(url=webhook_receiver.url)
    webhook_receiver.secret = endpoint.secret
    return endpoint


def test_a_receiver_failing_three_times_gets_the_event_once_as_a_success_with_the_retries_logged(
        endpoint, webhook_receiver, django_capture_on_commit_callbacks):
    webhook_receiver.fail_first = 3
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_test(endpoint=endpoint)

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 4
    assert delivery.response_status == 200 and delivery.delivered_at is not None
    log = list(WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "status_code", "response_body"))
    assert log == [(1, 500, "try again"), (2, 500, "try again"), (3, 500, "try again"), (4, 200, "ok")]
    # Four POSTs of the same message (one webhook-id), each signed; one of them taken as a success.
    assert [r.answered for r in webhook_receiver.requests] == [500, 500, 500, 200]
    assert {r.headers["webhook-id"] for r in webhook_receiver.requests} == {delivery.message_id}
    assert all(r.signature_ok for r in webhook_receiver.requests)
    accepted = webhook_receiver.accepted()
    assert len(accepted) == 1 and accepted[0]["type"] == EventType.TEST


def test_a_succeeded_delivery_is_never_sent_again(endpoint, webhook_receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery_id = services.endpoint_send_test(endpoint=endpoint)
    services.delivery_attempt(delivery_id=delivery_id)  # a second copy of the task, say
    assert len(webhook_receiver.requests) == 1


def test_it_gives_up_after_the_last_attempt(endpoint, webhook_receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    webhook_receiver.fail_first = 100
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_test(endpoint=endpoint)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3
    assert len(webhook_receiver.requests) == 3


def test_an_unreachable_endpoint_is_logged_with_the_error(django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = WebhookEndpointFactory(url="http://127.0.0.1:9/nothing-listens")
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_test(endpoint=endpoint)
    attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.status_code is None and "ConnectionError" in attempt.error


def test_a_wrong_signature_is_detected_by_the_receiver(endpoint, webhook_receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_test(endpoint=endpoint)
    sent = webhook_receiver.requests[0]
    assert Webhook(endpoint.secret).verify(sent.body, sent.headers)["type"] == EventType.TEST
    with pytest.raises(WebhookVerificationError):
        Webhook(WebhookEndpointFactory().secret).verify(sent.body, sent.headers)  # another secret
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(sent.body.replace(b"test", b"tost"), sent.headers)  # a changed body
    signature = sent.headers["webhook-signature"]
    assert signature.startswith("v1,")


def test_the_same_event_is_queued_once_per_endpoint_and_only_where_wanted(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    run = RunFactory(project=project, status=RunStatus.FAILED)
    wants_all = WebhookEndpointFactory(organisation=project.organisation)
    wants_runs = WebhookEndpointFactory(organisation=project.organisation, events=[EventType.RUN_FAILED])
    WebhookEndpointFactory(organisation=project.organisation, events=[EventType.ITEM_ACCEPTED])
    WebhookEndpointFactory()  # another organisation
    services.events_publish(kind="training_run_finished", run_id=run.pk)
    services.events_publish(kind="training_run_finished", run_id=run.pk)
    deliveries = WebhookDelivery.objects.all()
    assert sorted(d.endpoint_id for d in deliveries) == sorted([wants_all.pk, wants_runs.pk])
    assert {d.payload["data"]["run"] for d in deliveries} == {run.pk}


@pytest.fixture
def queued(monkeypatch):
    """The publish tasks the receivers queue: (kind, ref) each."""
    sent = []
    monkeypatch.setattr(celery_tasks.publish, "apply_async", lambda args, **options: sent.append(tuple(args)))
    return sent


def test_nothing_is_queued_for_an_organisation_with_no_endpoint_that_wants_the_event(
        queued, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    item = ItemFactory(project=project)
    WebhookEndpointFactory()  # another organisation's
    WebhookEndpointFactory(organisation=project.organisation, is_active=False)
    WebhookEndpointFactory(organisation=project.organisation, events=[EventType.RUN_FAILED])
    with django_capture_on_commit_callbacks(execute=True):
        quality_signals.item_accepted_send_on_commit(item_id=item.pk, project_id=project.pk)
        training_signals.send_on_commit(training_signals.feedback_items_created, project_id=project.pk,
                                        item_ids=[item.pk])
    assert queued == []
    # An endpoint that wants "project completed" hears of every accepted item: the last one completes it.
    WebhookEndpointFactory(organisation=project.organisation, events=[EventType.PROJECT_COMPLETED])
    with django_capture_on_commit_callbacks(execute=True):
        quality_signals.item_accepted_send_on_commit(item_id=item.pk, project_id=project.pk)
    assert queued == [("item_accepted", {"item_id": item.pk})]


def test_a_run_or_a_version_change_is_queued_only_where_an_endpoint_listens(queued, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    run = RunFactory(project=project, status=RunStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        training_signals.send_on_commit(training_signals.training_run_finished, run_id=run.pk,
                                        project_id=project.pk, status="failed")
    assert queued == []
    WebhookEndpointFactory(organisation=project.organisation)  # every event
    with django_capture_on_commit_callbacks(execute=True):
        training_signals.send_on_commit(training_signals.training_run_finished, run_id=run.pk,
                                        project_id=project.pk, status="failed")
        training_signals.send_on_commit(training_signals.model_version_changed, version_id=1, project_id=project.pk,
                                        previous_id=None, rolled_back=False, reason="test", change_id="c1")
    assert [kind for kind, _ in queued] == ["training_run_finished", "model_version_changed"]
