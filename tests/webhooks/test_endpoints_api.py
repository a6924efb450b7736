"""Webhook endpoints over the integrator API: an organisation's integrators list, register, change and remove
them; the secret is shown once; another organisation's endpoints do not exist for them (404)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from accounts.models import MembershipRole
from accounts.services import membership_add
from tests.factories import IntegratorFactory, OrganisationFactory, member_of, token_for
from tests.tasks.factories import ProjectFactory
from tests.webhooks.factories import WebhookEndpointFactory
from webhooks import services
from webhooks.models import EventType, WebhookEndpoint

pytestmark = pytest.mark.django_db

LIST = reverse("api-webhook-endpoints")


def detail(endpoint) -> str:
    return reverse("api-webhook-endpoint", args=[endpoint.pk])


def client_of(user, **limits) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, **limits)}")
    return client


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def integrator(organisation):
    return member_of(organisation, IntegratorFactory())


def test_an_integrator_registers_an_endpoint_and_sees_its_secret_once(integrator, organisation, webhook_receiver,
                                                                       django_capture_on_commit_callbacks):
    client = client_of(integrator)
    response = client.post(LIST, {"url": webhook_receiver.url, "events": ["model_version.promoted", "item.accepted"],
                                  "description": "search service"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.organisation == organisation and created["organisation"] == organisation.slug
    assert created["secret"] == endpoint.secret and created["secret"].startswith("whsec_")
    assert created["events"] == ["item.accepted", "model_version.promoted"] and endpoint.is_active
    # Never again: not in the list, not in the detail, not after a change.
    listed = client.get(LIST).json()["results"]
    assert [row["id"] for row in listed] == [endpoint.pk] and "secret" not in listed[0]
    assert "secret" not in client.get(detail(endpoint)).json()
    assert "secret" not in client.patch(detail(endpoint), {"is_active": True}, format="json").json()
    # The secret it was shown verifies what is sent.
    webhook_receiver.secret = created["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_send_test(endpoint=endpoint)
    assert Webhook(created["secret"]).verify(webhook_receiver.requests[0].body, webhook_receiver.requests[0].headers)


def test_an_integrator_changes_and_removes_an_endpoint(integrator, organisation):
    endpoint = WebhookEndpointFactory(organisation=organisation)
    secret = endpoint.secret
    client = client_of(integrator)
    response = client.patch(detail(endpoint), {"url": "https://shop.example/hooks", "events": ["training_run.failed"],
                                               "is_active": False}, format="json")
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.is_active) == ("https://shop.example/hooks",
                                                                   ["training_run.failed"], False)
    assert endpoint.secret == secret and endpoint.organisation == organisation
    assert client.delete(detail(endpoint)).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize("body, field", [
    ({"url": "not a url"}, "url"),
    ({"url": "ftp://shop.example/hooks"}, "url"),
    ({"url": "https://shop.example/hooks", "events": ["no.such.event"]}, "events"),
    ({"url": "https://shop.example/hooks", "events": ["webhook.test"]}, "events"),  # sent to every endpoint anyway
    ({"url": "https://shop.example/hooks", "organisation": "not-mine"}, "organisation"),
])
def test_bad_input_is_refused_with_the_field_named(integrator, body, field):
    response = client_of(integrator).post(LIST, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not WebhookEndpoint.objects.exists()


def test_another_organisations_endpoints_do_not_exist_for_the_outsider(integrator, organisation):
    theirs = WebhookEndpointFactory(organisation=organisation)
    outsider = client_of(member_of(OrganisationFactory(), IntegratorFactory()))
    assert outsider.get(LIST).json()["results"] == []
    assert outsider.get(detail(theirs)).status_code == 404
    assert outsider.patch(detail(theirs), {"is_active": False}, format="json").status_code == 404
    assert outsider.delete(detail(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    # Naming the other organisation to create in it gets the answer a made-up name gets.
    response = outsider.post(LIST, {"url": "https://x.example/", "organisation": organisation.slug}, format="json")
    assert response.status_code == 400 and WebhookEndpoint.objects.count() == 1


def test_a_read_only_token_reads_and_a_project_token_manages_nothing(integrator, organisation):
    endpoint = WebhookEndpointFactory(organisation=organisation)
    reader = client_of(integrator, read_only=True)
    assert reader.get(detail(endpoint)).status_code == 200
    assert reader.post(LIST, {"url": "https://x.example/"}, format="json").status_code == 403
    assert reader.delete(detail(endpoint)).status_code == 403
    one_project = client_of(integrator, project_id=ProjectFactory(organisation=organisation).pk)
    assert one_project.get(LIST).status_code == 403
    assert one_project.get(detail(endpoint)).status_code == 403
    assert one_project.post(LIST, {"url": "https://x.example/"}, format="json").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_someone_in_two_organisations_names_the_one(organisation):
    other = OrganisationFactory()
    integrator = member_of(organisation, IntegratorFactory())
    membership_add(user=integrator, organisation=other, role=MembershipRole.INTEGRATOR)
    client = client_of(integrator)
    assert client.post(LIST, {"url": "https://x.example/"}, format="json").status_code == 400
    response = client.post(LIST, {"url": "https://x.example/", "organisation": other.slug}, format="json")
    assert response.status_code == 201 and WebhookEndpoint.objects.get().organisation == other


def test_the_endpoints_are_in_the_api_description(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    assert set(schema["paths"]["/api/webhook-endpoints/"]) == {"get", "post"}
    assert set(schema["paths"]["/api/webhook-endpoints/{id}/"]) == {"get", "patch", "delete"}
    created = schema["paths"]["/api/webhook-endpoints/"]["post"]["responses"]["201"]["content"]["application/json"]
    name = created["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "secret" in schema["components"]["schemas"][name]["properties"]
    assert EventType.ITEM_ACCEPTED in str(schema["components"]["schemas"])
