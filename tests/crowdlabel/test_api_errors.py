"""API errors are JSON with `detail` and `code`; a database that is away is a 503 with Retry-After, never HTML."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tests.factories import AnnotatorFactory, IntegratorFactory, token_for

pytestmark = pytest.mark.django_db


def _integrator(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    return api_client


def _database_away(*args, **kwargs):
    raise OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")


def test_an_unknown_api_url_is_a_json_404():
    response = Client().get("/api/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_missing_object_is_a_json_404_with_its_code(api_client):
    response = _integrator(api_client).get(reverse("api-project", args=[987654]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_anonymous_and_the_annotator_are_refused_with_detail_and_code(api_client):
    anonymous = api_client.get(reverse("api-projects"))
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AnnotatorFactory())}")
    annotator = api_client.get(reverse("api-projects"))
    assert annotator.status_code == 403
    assert annotator.json()["code"] == "permission_denied" and annotator.json()["detail"]


def test_a_validation_error_keeps_its_fields_beside_detail_and_code(api_client):
    response = _integrator(api_client).post(reverse("api-projects"), {}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid" and body["detail"] == "Invalid input."
    assert body["title"] == ["This field is required."] and body["task_type"]


def test_the_database_away_in_an_api_view_is_a_503_with_retry_after(api_client, monkeypatch, settings):
    settings.API_RETRY_AFTER_SECONDS = 7
    monkeypatch.setattr("accounts.authentication.TokenAuthentication.authenticate", _database_away)
    response = api_client.get(reverse("api-projects"), HTTP_AUTHORIZATION="Token whatever")
    assert response.status_code == 503 and response["Retry-After"] == "7"
    assert response.json()["code"] == "service_unavailable"


def test_the_database_away_in_a_middleware_is_a_503_too(monkeypatch):
    monkeypatch.setattr("django.middleware.common.CommonMiddleware.process_request", _database_away)
    client = Client(raise_request_exception=False)
    api = client.get("/api/projects/")
    assert api.status_code == 503 and api.json()["code"] == "service_unavailable" and api["Retry-After"]
    page = client.get("/accounts/login/")
    assert page.status_code == 503 and page["Retry-After"] and "unavailable" in page.content.decode()


def test_an_unexpected_error_in_an_api_view_is_a_json_500(api_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("tasks.api.ProjectListApi.get", broken)
    response = _integrator(api_client).get(reverse("api-projects"))
    assert response.status_code == 500 and response.json() == {"detail": "Server error.", "code": "server_error"}
