"""The integrators' API access page: who may see it, their token, and where logging in takes them."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import token_for

pytestmark = pytest.mark.django_db

PAGE = "/api-access/"
PASSWORD = "correct-horse-battery"


def test_anonymous_is_sent_to_log_in_and_gets_no_token(client):
    for response in (client.get(PAGE), client.post(PAGE)):
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert not Token.objects.exists()


@pytest.mark.parametrize("persona", ["annotator", "reviewer"])
def test_other_roles_get_a_styled_refusal_and_no_token(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for response in (client.get(PAGE), client.post(PAGE)):
        assert response.status_code == 403
        page = response.content.decode()
        assert "css/crowdlabel.css" in page and "This page is not for this account" in page
    assert not Token.objects.exists()


@pytest.mark.parametrize("persona", ["integrator", "admin_user"])
def test_api_users_see_their_page_with_the_api_docs(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "You have no token yet." in page
    for name in ("api-docs", "api-redoc", "schema"):
        assert f'href="{reverse(name)}"' in page


def test_an_integrator_creates_a_token_that_the_api_accepts(client, api_client, integrator):
    client.force_login(integrator)
    response = client.post(PAGE)
    assert response.status_code == 302 and response.url == PAGE

    key = Token.objects.get(user=integrator).key
    page = client.get(PAGE).content.decode()
    assert key in page and "Your token was created." in page and "previous one" not in page
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get(reverse("api-projects")).status_code == 200


def test_a_new_token_replaces_the_old_one(client, api_client, integrator):
    old = token_for(integrator)
    client.force_login(integrator)
    assert old in client.get(PAGE).content.decode()

    page = client.post(PAGE, follow=True).content.decode()
    assert "A new token was issued; the previous one no longer works." in page
    new = Token.objects.get(user=integrator).key
    assert new != old
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api_client.get(reverse("api-projects")).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api_client.get(reverse("api-projects")).status_code == 200


@pytest.mark.parametrize("next_page", ["", "/"])
def test_an_integrator_logging_in_on_the_site_lands_on_their_page(client, integrator, next_page):
    login = reverse("account_login") + (f"?next={next_page}" if next_page else "")
    response = client.post(login, {"login": integrator.email, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == PAGE
    assert b"Your token" in response.content


def test_an_integrator_on_an_annotator_page_is_shown_the_way_to_their_page(client, integrator):
    client.force_login(integrator)
    response = client.get(reverse("verification"))
    assert response.status_code == 403
    assert f'href="{PAGE}"' in response.content.decode()
