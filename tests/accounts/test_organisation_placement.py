"""Placing people in organisations: the automatic membership of a one-organisation install ends when an admin
places the person elsewhere, and someone in several organisations names the one a new project belongs to."""

import pytest

from accounts import services
from accounts.models import Membership, MembershipRole
from tasks.models import Project
from tests.factories import IntegratorFactory, OrganisationFactory, default_organisation, token_for

pytestmark = pytest.mark.django_db

NEW_PROJECT = {"title": "Shoes", "task_type": "single_label", "label_schema": {"labels": ["Boot", "Sandal"]},
               "item_fields": ["title"]}


def _post(api_client, user, body):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api_client.post("/api/projects/", body, format="json")


def test_the_automatic_membership_ends_when_an_admin_places_the_person_elsewhere(api_client):
    integrator = IntegratorFactory()  # the install has one organisation: they join it automatically
    assert Membership.objects.get(user=integrator).automatic
    acme = OrganisationFactory(slug="acme")
    services.membership_add(user=integrator, organisation=acme, role=MembershipRole.INTEGRATOR)
    assert list(Membership.objects.filter(user=integrator).values_list("organisation__slug", flat=True)) == ["acme"]
    response = _post(api_client, integrator, NEW_PROJECT)
    assert response.status_code == 201, response.json()
    assert Project.objects.get(pk=response.json()["id"]).organisation == acme


def test_two_tenants_set_up_the_obvious_way_do_not_see_each_other(api_client):
    first, second = IntegratorFactory(), IntegratorFactory()  # both joined the default organisation
    acme, bravo = OrganisationFactory(slug="acme"), OrganisationFactory(slug="bravo")
    services.membership_add(user=first, organisation=acme, role=MembershipRole.INTEGRATOR)
    services.membership_add(user=second, organisation=bravo, role=MembershipRole.INTEGRATOR)
    project_id = _post(api_client, first, NEW_PROJECT).json()["id"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(second)}")
    assert api_client.get(f"/api/projects/{project_id}/").status_code == 404
    assert api_client.get("/api/projects/").json()["count"] == 0


def test_an_explicit_membership_of_the_default_organisation_stays():
    integrator = IntegratorFactory()
    services.membership_add(user=integrator, organisation=default_organisation(), role=MembershipRole.INTEGRATOR)
    Membership.objects.filter(user=integrator).update(automatic=False)  # an admin's choice, not the join
    services.membership_add(user=integrator, organisation=OrganisationFactory(), role=MembershipRole.INTEGRATOR)
    assert Membership.objects.filter(user=integrator).count() == 2


def test_someone_in_several_organisations_names_the_projects_one(api_client):
    integrator = IntegratorFactory()
    acme, bravo, other = OrganisationFactory(slug="acme"), OrganisationFactory(slug="bravo"), OrganisationFactory()
    services.membership_add(user=integrator, organisation=acme, role=MembershipRole.INTEGRATOR)
    services.membership_add(user=integrator, organisation=bravo, role=MembershipRole.INTEGRATOR)
    refused = _post(api_client, integrator, NEW_PROJECT)
    assert refused.status_code == 400 and "several organisations" in str(refused.json()["organisation"])
    created = _post(api_client, integrator, {**NEW_PROJECT, "organisation": "bravo"})
    assert created.status_code == 201 and Project.objects.get(pk=created.json()["id"]).organisation == bravo
    # Another tenant's organisation and one that does not exist get the same answer.
    theirs = _post(api_client, integrator, {**NEW_PROJECT, "organisation": other.slug}).json()["organisation"]
    missing = _post(api_client, integrator, {**NEW_PROJECT, "organisation": "no-such"}).json()["organisation"]
    assert str(theirs).replace(other.slug, "X") == str(missing).replace("no-such", "X")


def test_a_project_does_not_move_between_organisations_through_the_api(api_client):
    integrator = IntegratorFactory()
    project_id = _post(api_client, integrator, NEW_PROJECT).json()["id"]
    response = api_client.patch(f"/api/projects/{project_id}/", {"organisation": "default"}, format="json")
    assert response.status_code == 400 and "an admin moves it" in str(response.json()["organisation"])


def test_a_reviewer_of_another_organisation_gets_404_on_a_projects_work_page(client):
    from tasks.models import ProjectStatus
    from tests.factories import ReviewerFactory, member_of
    from tests.tasks.factories import ProjectFactory

    project = ProjectFactory(organisation=default_organisation(), status=ProjectStatus.DRAFT,
                             title="Secret draft", instructions="SECRET DRAFT INSTRUCTIONS")
    ours, theirs = ReviewerFactory(), member_of(OrganisationFactory(), ReviewerFactory(), MembershipRole.REVIEWER)
    url = f"/work/{project.pk}/"
    client.force_login(theirs)
    refused = client.get(url)
    assert refused.status_code == 404 and b"SECRET" not in refused.content and b"Secret draft" not in refused.content
    client.force_login(ours)  # staff of the project's organisation may look at its page (and get no work)
    assert client.get(url).status_code == 403
