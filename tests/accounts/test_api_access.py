"""The integrators' API access page: who may see it, their token, and where logging in takes them."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken

from tests.factories import token_for

pytestmark = pytest.mark.django_db

PAGE = "/api-access/"
PASSWORD = "correct-horse-battery"


def test_anonymous_is_sent_to_log_in_and_gets_no_token(client):
    for response in (client.get(PAGE), client.post(PAGE)):
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", ["annotator", "reviewer"])
def test_other_roles_get_a_styled_refusal_and_no_token(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for response in (client.get(PAGE), client.post(PAGE)):
        assert response.status_code == 403
        page = response.content.decode()
        assert "css/crowdlabel.css" in page and "This page is not for this account" in page
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", ["integrator", "admin_user"])
def test_api_users_see_their_page_with_the_api_docs(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "You have no token yet." in page
    for name in ("api-docs", "api-redoc", "schema"):
        assert f'href="{reverse(name)}"' in page


def test_an_integrator_creates_a_named_token_shown_once_that_the_api_accepts(client, api_client, integrator):
    client.force_login(integrator)
    response = client.post(PAGE, {"name": "shop sync"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=integrator)
    key = response.content.decode().split('id="api-token" class="token">')[1].split("<")[0]
    assert token.name == "shop sync" and token.prefix == key[:8] and key not in token.key_hash
    assert key not in client.get(PAGE).content.decode()  # shown once: only its prefix afterwards
    assert token.last_used_at is None

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get(reverse("api-projects")).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert "never" not in client.get(PAGE).content.decode().split("shop sync")[1].split("</tr>")[0]


def test_a_user_holds_several_tokens_and_revoking_one_stops_only_it(client, api_client, integrator):
    first, second = token_for(integrator), token_for(integrator)
    client.force_login(integrator)
    page = client.get(PAGE).content.decode()
    assert first[:8] in page and second[:8] in page and first not in page

    revoked = ApiToken.objects.get(prefix=first[:8])
    page = client.post(PAGE, {"revoke": revoked.pk}, follow=True).content.decode()
    assert "The token was revoked" in page
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api_client.get(reverse("api-projects")).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api_client.get(reverse("api-projects")).status_code == 200


def test_a_revoked_token_is_listed_as_revoked_not_as_a_live_one(client, integrator):
    """Its row carries the class crowdlabel.css greys out, and says Revoked where a live token has its button."""
    from django.conf import settings

    live, ended = token_for(integrator), token_for(integrator)
    client.force_login(integrator)
    client.post(PAGE, {"revoke": ApiToken.objects.get(prefix=ended[:8]).pk})
    rows = client.get(PAGE).content.decode().split("<tbody>")[1].split("</tr>")
    revoked_row = next(row for row in rows if ended[:8] in row)
    live_row = next(row for row in rows if live[:8] in row)
    assert '<tr class="revoked">' in revoked_row and '<span class="token-revoked">Revoked</span>' in revoked_row
    assert 'name="revoke"' not in revoked_row
    assert "token-revoked" not in live_row and 'name="revoke"' in live_row
    css = (settings.BASE_DIR / "static" / "css" / "crowdlabel.css").read_text()
    assert "table.tokens tr.revoked td { color: var(--muted); }" in css and ".token-revoked {" in css


def test_nobody_revokes_another_users_token(client, api_client, integrator):
    from tests.factories import IntegratorFactory

    key = token_for(integrator)
    client.force_login(IntegratorFactory())
    client.post(PAGE, {"revoke": ApiToken.objects.get(user=integrator).pk})
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get(reverse("api-projects")).status_code == 200


def test_a_read_only_token_reads_but_never_writes(api_client, integrator):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(integrator, read_only=True)}")
    assert api_client.get(reverse("api-projects")).status_code == 200
    response = api_client.post(reverse("api-projects"), {"title": "x", "task_type": "single_label"}, format="json")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_tokens_are_listed_and_revoked_in_the_admin(client, admin_user, integrator):
    key = token_for(integrator)
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert key[:8] in page and key not in page
    token = ApiToken.objects.get(user=integrator)
    client.post(reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.is_revoked


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


def test_on_a_phone_the_tokens_table_becomes_labelled_lines_that_fit(client, integrator):
    """At 390 px the six-column table was 466 px wide (user trial): crowdlabel.css stacks each token's cells
    below a phone's width, each labelled from its data-label, and long names and keys wrap in their own box.
    Checked in a browser (scrollWidth 390 at 390 px); this test holds the markup and the rules it rests on."""
    from django.conf import settings

    token_for(integrator)
    client.force_login(integrator)
    page = client.get(PAGE).content.decode()
    for label in ("Name", "Key", "Limits", "Created", "Last used"):
        assert f'<td data-label="{label}">' in page
    css = (settings.BASE_DIR / "static" / "css" / "crowdlabel.css").read_text()
    phone = css.split("@media (max-width: 40rem) {", 1)[1].split("\n}", 1)[0]
    assert "table.tokens, table.tokens tbody, table.tokens tr, table.tokens td { display: block; }" in phone
    assert "content: attr(data-label)" in phone
    assert "code.token { display: inline-block; max-width: 100%;" in css and "word-break: break-all" in css
