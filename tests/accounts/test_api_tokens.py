"""/api/tokens/: an integrator's service lists, mints and revokes its own API tokens (to rotate them), under the
rules of the /api-access/ page, and a token mints or reaches no token broader than itself."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import IntegratorFactory, OrganisationFactory, default_organisation, member_of, token_for
from tests.tasks.factories import ProjectFactory

pytestmark = pytest.mark.django_db

TOKENS = "/api/tokens/"
LISTED = {"id", "name", "prefix", "project_id", "read_only", "created_at", "last_used_at"}


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _token(key: str) -> ApiToken:
    return ApiToken.objects.get(prefix=key[:8])


@pytest.fixture
def tenants():
    """Integrator A of the default organisation with two projects, and a project of organisation B."""
    org_a, org_b = default_organisation(), OrganisationFactory()
    return (member_of(org_a, IntegratorFactory()), ProjectFactory(organisation=org_a),
            ProjectFactory(organisation=org_a), ProjectFactory(organisation=org_b))


def test_the_list_holds_the_callers_live_tokens_newest_first_and_no_key(integrator):
    first, second = token_for(integrator), token_for(integrator)
    ApiToken.objects.filter(pk=_token(token_for(integrator)).pk).update(revoked_at=timezone.now())
    token_for(IntegratorFactory())  # another user's

    response = _client(first).get(TOKENS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None  # paginated like every API list
    assert [row["id"] for row in body["results"]] == [_token(second).pk, _token(first).pk]
    assert set(body["results"][0]) == LISTED
    assert second not in response.content.decode() and _token(second).key_hash not in response.content.decode()


def test_minting_answers_201_with_the_key_once_and_the_key_works(integrator):
    response = _client(token_for(integrator)).post(TOKENS, {"name": " shop sync "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == LISTED | {"key"}
    assert (body["name"], body["project_id"], body["read_only"]) == ("shop sync", None, False)
    assert body["prefix"] == body["key"][:8] and ApiToken.objects.get(pk=body["id"]).user == integrator
    assert _client(body["key"]).get(reverse("api-me")).json()["id"] == integrator.pk
    listed = _client(body["key"]).get(TOKENS)
    assert body["key"] not in listed.content.decode()


def test_a_blank_name_is_refused_in_the_apis_error_shape(integrator):
    response = _client(token_for(integrator)).post(TOKENS, {"name": "   "}, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "name": [
        "Name the token (where it is used), to know which one to revoke."]}
    assert ApiToken.objects.count() == 1


def test_another_organisations_project_is_refused_as_on_the_page(tenants):
    integrator, _, _, theirs = tenants
    response = _client(token_for(integrator)).post(TOKENS, {"name": "x", "project_id": theirs.pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert response.json()["project_id"] == [
        f"You have no project {theirs.pk}: a token can be limited only to a project of your organisations."]


def test_an_unlimited_token_mints_limited_and_read_only_tokens(tenants):
    integrator, ours, _, _ = tenants
    response = _client(token_for(integrator)).post(
        TOKENS, {"name": "export", "project_id": ours.pk, "read_only": True}, format="json")
    assert response.status_code == 201
    assert (response.json()["project_id"], response.json()["read_only"]) == (ours.pk, True)


def test_a_project_token_mints_only_tokens_limited_to_its_project(tenants):
    integrator, ours, other_of_ours, _ = tenants
    client = _client(token_for(integrator, project_id=ours.pk))

    left_out = client.post(TOKENS, {"name": "rotated"}, format="json")
    assert left_out.status_code == 201 and left_out.json()["project_id"] == ours.pk  # not every project
    named = client.post(TOKENS, {"name": "rotated", "project_id": ours.pk, "read_only": True}, format="json")
    assert named.status_code == 201 and named.json()["project_id"] == ours.pk

    refused = client.post(TOKENS, {"name": "wider", "project_id": other_of_ours.pk}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert f"limited to project {ours.pk}" in refused.json()["detail"]
    assert not ApiToken.objects.filter(project_id=other_of_ours.pk).exists()


def test_a_read_only_token_lists_but_mints_and_revokes_nothing(integrator):
    other = token_for(integrator)
    client = _client(token_for(integrator, read_only=True))
    assert client.get(TOKENS).json()["count"] == 2
    minted = client.post(TOKENS, {"name": "wider"}, format="json")
    assert minted.status_code == 403 and "it can only read" in minted.json()["detail"]
    assert client.delete(f"{TOKENS}{_token(other).pk}/").status_code == 403
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_a_project_token_lists_and_revokes_only_its_projects_tokens(tenants):
    integrator, ours, _, _ = tenants
    unlimited, sibling = token_for(integrator), token_for(integrator, project_id=ours.pk)
    client = _client(token_for(integrator, project_id=ours.pk))
    assert {row["project_id"] for row in client.get(TOKENS).json()["results"]} == {ours.pk}
    assert client.delete(f"{TOKENS}{_token(unlimited).pk}/").status_code == 404
    assert client.delete(f"{TOKENS}{_token(sibling).pk}/").status_code == 204
    assert _client(unlimited).get(reverse("api-me")).status_code == 200


def test_revoking_answers_204_and_the_token_stops_working(integrator):
    old, new = token_for(integrator), token_for(integrator)
    assert _client(new).delete(f"{TOKENS}{_token(old).pk}/").status_code == 204
    assert _client(old).get(reverse("api-me")).status_code == 401
    assert _client(new).delete(f"{TOKENS}{_token(old).pk}/").status_code == 404  # no longer live


def test_rotation_mint_the_new_token_then_revoke_the_one_in_use(integrator):
    old = token_for(integrator)
    client = _client(old)
    new = client.post(TOKENS, {"name": "rotated"}, format="json").json()["key"]
    assert client.delete(f"{TOKENS}{_token(old).pk}/").status_code == 204
    refused = client.get(TOKENS)
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    assert _client(new).get(TOKENS).json()["count"] == 1


def test_another_users_token_is_not_found_like_a_missing_one(integrator, admin_user):
    theirs = _token(token_for(IntegratorFactory()))
    client = _client(token_for(integrator))
    for caller in (client, _client(token_for(admin_user))):  # an admin too: others' are revoked in the admin
        other, missing = caller.delete(f"{TOKENS}{theirs.pk}/"), caller.delete(f"{TOKENS}{theirs.pk + 1000}/")
        assert other.status_code == missing.status_code == 404 and other.json() == missing.json()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("persona", ["annotator", "reviewer"])
def test_roles_without_api_access_are_refused_as_on_the_page(request, persona):
    user = request.getfixturevalue(persona)
    key = token_for(user)
    session = APIClient()
    session.force_login(user)
    for client in (_client(key), session):
        for response in (client.get(TOKENS), client.post(TOKENS, {"name": "x"}, format="json"),
                         client.delete(f"{TOKENS}{_token(key).pk}/")):
            assert response.status_code == 403
            assert response.json()["detail"] == ("API tokens are for integrators and admins: this account has no "
                                                 "API access to manage.")
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_anonymous_is_asked_to_authenticate(integrator):
    client = APIClient()
    key = token_for(integrator)
    for response in (client.get(TOKENS), client.post(TOKENS, {"name": "x"}, format="json"),
                     client.delete(f"{TOKENS}{_token(key).pk}/")):
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_logged_in_integrator_follows_the_pages_rules(tenants):
    integrator, ours, _, _ = tenants
    client = APIClient()
    client.force_login(integrator)
    response = client.post(TOKENS, {"name": "from the site", "project_id": ours.pk}, format="json")
    assert response.status_code == 201 and response.json()["project_id"] == ours.pk
    assert client.get(TOKENS).json()["count"] == 1
    assert client.delete(f"{TOKENS}{response.json()['id']}/").status_code == 204


def test_minting_is_limited_per_user_whichever_token_asks(integrator, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "token_mint", "3/hour")
    client = _client(token_for(integrator))
    minted = [client.post(TOKENS, {"name": f"n{n}"}, format="json") for n in range(3)]
    assert [response.status_code for response in minted] == [201, 201, 201]
    refused = client.post(TOKENS, {"name": "one more"}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    # A token it minted shares the user's count; listing and revoking are not minting.
    fresh = _client(minted[0].json()["key"])
    assert fresh.post(TOKENS, {"name": "spread"}, format="json").status_code == 429
    assert fresh.get(TOKENS).status_code == 200
    assert fresh.delete(f"{TOKENS}{minted[1].json()['id']}/").status_code == 204
    assert ApiToken.objects.count() == 4


def test_the_service_holds_the_narrowing_rules_for_every_caller(tenants):
    from django.core.exceptions import PermissionDenied

    from accounts import services

    integrator, ours, other_of_ours, _ = tenants
    read_only = _token(token_for(integrator, read_only=True))
    limited = _token(token_for(integrator, project_id=ours.pk))
    with pytest.raises(PermissionDenied, match="read-only"):
        services.api_token_create(user=integrator, name="x", read_only=True, by_token=read_only)
    with pytest.raises(PermissionDenied, match=f"not to project {other_of_ours.pk}"):
        services.api_token_create(user=integrator, name="x", project_id=other_of_ours.pk, by_token=limited)
    assert services.api_token_create(user=integrator, name="x", by_token=limited)[0].project_id == ours.pk
