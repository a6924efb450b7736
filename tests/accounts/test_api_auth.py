import pytest
from django.urls import reverse

from tests.factories import token_for

pytestmark = pytest.mark.django_db


def test_integrator_token_works(api_client, integrator):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(integrator)}")
    response = api_client.get(reverse("api-me"))
    assert response.status_code == 200
    assert response.json()["role"] == "integrator"


def test_no_token_is_refused(api_client):
    assert api_client.get(reverse("api-me")).status_code == 401


def test_a_wrong_token_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert api_client.get(reverse("api-me")).status_code == 401


def test_an_annotators_token_is_refused_on_the_integrator_api(api_client, annotator):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(annotator)}")
    assert api_client.get(reverse("api-me")).status_code == 403


def test_schema_and_docs_are_served(client):
    schema = client.get(reverse("schema"))
    assert schema.status_code == 200 and b"/api/me/" in schema.content
    assert client.get(reverse("api-docs")).status_code == 200


def test_a_deactivated_users_token_is_refused(api_client, integrator):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(integrator)}")
    integrator.is_active = False
    integrator.save(update_fields=["is_active"])
    assert api_client.get(reverse("api-me")).status_code == 401


def test_the_token_check_reads_an_annotators_profile_with_the_user(api_client, annotator, django_assert_num_queries):
    from accounts.authentication import TokenAuthentication

    key = token_for(annotator)
    TokenAuthentication().authenticate_credentials(key)  # the first use writes last_used_at
    with django_assert_num_queries(1):  # then at most once a minute: the hot path reads only
        user, token = TokenAuthentication().authenticate_credentials(key)
        assert (user.pk, token.prefix, user.worker_profile.user_id) == (annotator.pk, key[:8], annotator.pk)
