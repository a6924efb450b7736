"""A token limited to a project must name one of its user's organisations' projects: one of another
organisation's (or none at all) is refused when the token is made, in the same words, by the one service every
caller uses (the API access page, commands, benches); the admin makes no tokens at all."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import ApiToken
from tests.factories import AdminFactory, IntegratorFactory, OrganisationFactory, default_organisation, member_of
from tests.tasks.factories import ProjectFactory

pytestmark = pytest.mark.django_db

PAGE = "/api-access/"


@pytest.fixture
def tenants():
    """Integrator A of the default organisation with a project, and a project of organisation B."""
    org_a, org_b = default_organisation(), OrganisationFactory()
    return member_of(org_a, IntegratorFactory()), ProjectFactory(organisation=org_a), ProjectFactory(organisation=org_b)


def _refusal(user, project_id) -> dict:
    with pytest.raises(ValidationError) as raised:
        services.api_token_create(user=user, name="sync", project_id=project_id)
    return raised.value.message_dict


def test_the_service_refuses_another_organisations_project_as_it_refuses_a_missing_one(tenants):
    integrator, _, theirs = tenants
    missing = theirs.pk + 1000
    other, absent = _refusal(integrator, theirs.pk), _refusal(integrator, missing)
    assert list(other) == list(absent) == ["project_id"]
    # Word for word the same but for the id: the answer tells no one whether the other project exists.
    assert other["project_id"][0].replace(str(theirs.pk), "N") == absent["project_id"][0].replace(str(missing), "N")
    assert not ApiToken.objects.exists()


def test_the_service_limits_a_token_to_a_project_of_the_users_organisation(tenants):
    integrator, ours, _ = tenants
    token, _ = services.api_token_create(user=integrator, name="sync", project_id=ours.pk, read_only=True)
    assert (token.project_id, token.read_only) == (ours.pk, True)


def test_an_admin_limits_a_token_to_any_organisations_project(tenants):
    _, _, theirs = tenants
    token, _ = services.api_token_create(user=AdminFactory(), name="support", project_id=theirs.pk)
    assert token.project_id == theirs.pk


def test_the_page_shows_the_refusal_on_the_project_field_and_makes_no_token(client, tenants):
    integrator, ours, theirs = tenants
    client.force_login(integrator)
    response = client.post(PAGE, {"name": "shop sync", "project_id": theirs.pk})
    assert response.status_code == 200
    assert response.context["form"].errors == {"project_id": [
        f"You have no project {theirs.pk}: a token can be limited only to a project of your organisations."]}
    assert 'id="api-token"' not in response.content.decode()  # no key shown
    assert not ApiToken.objects.exists()

    response = client.post(PAGE, {"name": "shop sync", "project_id": ours.pk})
    assert 'id="api-token"' in response.content.decode()
    assert ApiToken.objects.get().project_id == ours.pk


def test_the_admin_offers_no_way_to_make_a_token(client, admin_user):
    # Keys are shown once, where they are made: the API access page, through the service above.
    client.force_login(admin_user)
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
