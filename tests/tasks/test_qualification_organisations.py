"""Qualifications belong to an organisation: a project names only its own organisation's qualifications in
its pool (or as the one it awards), whatever writes it (the service, the admin form, the API); the admin's
pickers offer only those, the API treats another organisation's as one that does not exist, and two
organisations may each have a qualification of the same name."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import MembershipRole
from tasks import services
from tasks.models import Project
from tests.factories import (
    IntegratorFactory, OrganisationFactory, ProjectManagerFactory, QualificationFactory, default_organisation,
    member_of, token_for,
)
from tests.tasks.factories import ProjectFactory
from tests.tasks.test_project_form import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    return default_organisation(), OrganisationFactory()


@pytest.fixture
def qualifications(orgs):
    """(A's qualification, B's qualification)"""
    return QualificationFactory(organisation=orgs[0], name="Ours"), QualificationFactory(organisation=orgs[1],
                                                                                         name="Theirs")


NEW_FIELDS = {"title": "Pool", "task_type": "single_label", "label_schema": {"labels": ["A", "B"]},
              "item_fields": ["title"]}


@pytest.mark.parametrize("field", services.QUALIFICATION_FIELDS)
def test_the_service_refuses_another_organisations_qualification_on_create_and_update(orgs, qualifications, field):
    ours, theirs = qualifications
    with pytest.raises(ValidationError) as raised:
        services.project_create(organisation=orgs[0], **NEW_FIELDS, **{field: theirs})
    assert list(raised.value.message_dict) == [field] and "another organisation's" in raised.value.messages[0]
    assert not Project.objects.filter(title="Pool").exists()

    project = services.project_create(organisation=orgs[0], **NEW_FIELDS, **{field: ours})
    assert getattr(project, field) == ours
    with pytest.raises(ValidationError):
        services.project_update(project=project, **{field: theirs})
    project.refresh_from_db()
    assert getattr(project, field) == ours


def test_two_organisations_may_name_a_qualification_alike_but_one_not_twice(orgs):
    QualificationFactory(organisation=orgs[0], name="English native")
    QualificationFactory(organisation=orgs[1], name="English native")
    with pytest.raises(IntegrityError), transaction.atomic():
        QualificationFactory(organisation=orgs[0], name="English native")


def _api(api_client, orgs):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(member_of(orgs[0], IntegratorFactory()))}")
    return api_client


NEW = {"title": "Pool project", "task_type": "single_label", "label_schema": {"labels": ["A", "B"]},
       "item_fields": ["title"]}


def test_the_api_treats_another_organisations_qualification_as_missing(api_client, orgs, qualifications):
    ours, theirs = qualifications
    api = _api(api_client, orgs)
    refused = api.post(reverse("api-projects"), {**NEW, "pool_qualification": theirs.pk}, format="json")
    missing = api.post(reverse("api-projects"), {**NEW, "pool_qualification": theirs.pk + 1000}, format="json")
    assert refused.status_code == missing.status_code == 400
    said = refused.json()["pool_qualification"][0].replace(str(theirs.pk), "N")
    assert said == missing.json()["pool_qualification"][0].replace(str(theirs.pk + 1000), "N")

    created = api.post(reverse("api-projects"), {**NEW, "pool_qualification": ours.pk}, format="json")
    assert created.status_code == 201 and created.json()["pool_qualification"] == ours.pk
    url = reverse("api-project", args=[created.json()["id"]])
    assert api.patch(url, {"pool_qualification": theirs.pk}, format="json").status_code == 400
    assert Project.objects.get(pk=created.json()["id"]).pool_qualification == ours


def _offered(page_response, field) -> set[int]:
    return {qualification.pk for qualification in page_response.context["adminform"].form.fields[field].queryset}


def test_a_project_managers_pickers_offer_their_organisations_qualifications(client, orgs, qualifications):
    ours, _ = qualifications
    client.force_login(member_of(orgs[0], ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER))
    page = client.get(reverse("admin:tasks_project_add"))
    assert {field: _offered(page, field) for field in services.QUALIFICATION_FIELDS} == {
        field: {ours.pk} for field in services.QUALIFICATION_FIELDS}
    assert "Theirs" not in page.content.decode()


def test_an_existing_project_is_offered_its_own_organisations_qualifications_even_to_an_admin(
        client, admin_user, orgs, qualifications):
    client.force_login(admin_user)
    for organisation, qualification in zip(orgs, qualifications):
        page = client.get(reverse("admin:tasks_project_change", args=[ProjectFactory(organisation=organisation).pk]))
        assert _offered(page, "pool_qualification") == {qualification.pk}


def test_an_admin_creating_a_project_in_one_organisation_with_anothers_qualification_is_told_on_the_field(
        client, admin_user, orgs, qualifications):
    _, theirs = qualifications
    client.force_login(admin_user)
    data = {**FORM, "title": "Mixed", "label_schema": json.dumps({"labels": ["A", "B"]}),
            "organisation": orgs[0].pk, "pool_qualification": theirs.pk}
    response = client.post(reverse("admin:tasks_project_add"), data)
    assert response.status_code == 200  # the form again, not a server error
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["pool_qualification"] and "another organisation's" in errors["pool_qualification"][0]
    assert not Project.objects.filter(title="Mixed").exists()
    data["organisation"] = orgs[1].pk
    assert client.post(reverse("admin:tasks_project_add"), data).status_code == 302
    assert Project.objects.get(title="Mixed").pool_qualification == theirs


def test_the_qualification_list_names_each_ones_organisation(client, admin_user, orgs, qualifications):
    client.force_login(admin_user)
    page = client.get(reverse("admin:accounts_qualification_changelist")).content.decode()
    assert all(str(organisation) in page for organisation in orgs)


def test_a_qualification_never_moves_to_another_organisation(client, admin_user, orgs, qualifications):
    ours, _ = qualifications
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_qualification_change", args=[ours.pk]), {
        "name": "Ours, renamed", "description": "", "organisation": orgs[1].pk,
        "grants-TOTAL_FORMS": "0", "grants-INITIAL_FORMS": "0", "grants-MIN_NUM_FORMS": "0",
        "grants-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302
    ours.refresh_from_db()
    assert (ours.name, ours.organisation) == ("Ours, renamed", orgs[0])
