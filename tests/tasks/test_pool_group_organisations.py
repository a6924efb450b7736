"""Pool groups belong to an organisation (accounts.PoolGroup), as qualifications do: a project names only its own
organisation's group as its pool, whatever writes it (the service, the admin form, the API); the admin's picker
offers a project manager only their organisation's groups, never another's names, and the API treats another
organisation's group as one that does not exist. A group that is nobody's pool (a staff group) is offered to none."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import MembershipRole, PoolGroup
from accounts.services import PROJECT_MANAGERS_GROUP
from tasks import services
from tasks.models import Project
from tests.factories import (
    GroupFactory, IntegratorFactory, OrganisationFactory, ProjectManagerFactory, default_organisation, member_of,
    token_for,
)
from tests.tasks.factories import ProjectFactory
from tests.tasks.test_project_form import FORM

pytestmark = pytest.mark.django_db

NEW = {"title": "Pool project", "task_type": "single_label", "label_schema": {"labels": ["A", "B"]},
       "item_fields": ["title"]}


@pytest.fixture
def orgs():
    return default_organisation(), OrganisationFactory()


@pytest.fixture
def groups(orgs):
    """(A's pool group, B's pool group, a group that is nobody's pool)"""
    return (GroupFactory(name="Our experts", organisation=orgs[0]), GroupFactory(name="Their experts",
                                                                                 organisation=orgs[1]),
            GroupFactory(name="Staff only", organisation=False))


def test_the_service_refuses_another_organisations_group_and_a_group_that_is_nobodys_pool(orgs, groups):
    ours, theirs, nobodys = groups
    for group in (theirs, nobodys):
        with pytest.raises(ValidationError) as raised:
            services.project_create(organisation=orgs[0], **NEW, pool_group=group)
        assert list(raised.value.message_dict) == ["pool_group"]
        assert "not one of this organisation's pool groups" in raised.value.messages[0]
    assert not Project.objects.filter(title="Pool project").exists()

    project = services.project_create(organisation=orgs[0], **NEW, pool_group=ours)
    with pytest.raises(ValidationError):
        services.project_update(project=project, pool_group=theirs)
    project.refresh_from_db()
    assert project.pool_group == ours


def test_the_api_answers_400_for_another_organisations_group_as_for_a_missing_one(api_client, orgs, groups):
    ours, theirs, nobodys = groups
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(member_of(orgs[0], IntegratorFactory()))}")
    refused = api_client.post(reverse("api-projects"), {**NEW, "pool_group": theirs.pk}, format="json")
    missing = api_client.post(reverse("api-projects"), {**NEW, "pool_group": theirs.pk + 1000}, format="json")
    assert refused.status_code == missing.status_code == 400
    said = refused.json()["pool_group"][0]
    assert said.replace(str(theirs.pk), "N") == missing.json()["pool_group"][0].replace(str(theirs.pk + 1000), "N")
    assert "Their experts" not in refused.content.decode()
    assert api_client.post(reverse("api-projects"), {**NEW, "pool_group": nobodys.pk},
                           format="json").status_code == 400

    created = api_client.post(reverse("api-projects"), {**NEW, "pool_group": ours.pk}, format="json")
    assert created.status_code == 201 and created.json()["pool_group"] == ours.pk
    url = reverse("api-project", args=[created.json()["id"]])
    assert api_client.patch(url, {"pool_group": theirs.pk}, format="json").status_code == 400
    assert Project.objects.get(pk=created.json()["id"]).pool_group == ours


def _offered(page_response) -> set[int]:
    return {group.pk for group in page_response.context["adminform"].form.fields["pool_group"].queryset}


def test_a_project_managers_picker_offers_their_organisations_groups_only(client, orgs, groups):
    ours, theirs, nobodys = groups
    client.force_login(member_of(orgs[0], ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER))
    page = client.get(reverse("admin:tasks_project_add"))
    assert _offered(page) == {ours.pk}
    html = page.content.decode()
    assert "Our experts" in html and "Their experts" not in html and "Staff only" not in html
    assert PROJECT_MANAGERS_GROUP not in html.split('id="id_pool_group"')[1].split("</select>")[0]

    data = {**FORM, "title": "Chosen", "label_schema": json.dumps({"labels": ["A", "B"]}), "pool_group": theirs.pk}
    refused = client.post(reverse("admin:tasks_project_add"), data)
    assert refused.status_code == 200 and list(refused.context["adminform"].form.errors) == ["pool_group"]
    assert client.post(reverse("admin:tasks_project_add"), {**data, "pool_group": ours.pk}).status_code == 302
    assert Project.objects.get(title="Chosen").pool_group == ours


def test_an_admin_sees_every_organisations_groups_for_a_new_project_and_the_projects_own_for_an_existing_one(
        client, admin_user, orgs, groups):
    ours, theirs, _ = groups
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_project_add"))
    assert _offered(page) == {ours.pk, theirs.pk}
    assert f"Their experts ({orgs[1]})" in page.content.decode()  # each labelled with its organisation
    for organisation, group in zip(orgs, (ours, theirs)):
        page = client.get(reverse("admin:tasks_project_change", args=[ProjectFactory(organisation=organisation).pk]))
        assert _offered(page) == {group.pk}


def test_an_admin_creating_a_project_in_one_organisation_with_anothers_group_is_told_on_the_field(
        client, admin_user, orgs, groups):
    _, theirs, _ = groups
    client.force_login(admin_user)
    data = {**FORM, "title": "Mixed", "label_schema": json.dumps({"labels": ["A", "B"]}),
            "organisation": orgs[0].pk, "pool_group": theirs.pk}
    response = client.post(reverse("admin:tasks_project_add"), data)
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["pool_group"] and "not one of this organisation's pool groups" in errors["pool_group"][0]
    data["organisation"] = orgs[1].pk
    assert client.post(reverse("admin:tasks_project_add"), data).status_code == 302
    assert Project.objects.get(title="Mixed").pool_group == theirs


def _group_form(group, organisation_id=""):
    return {"name": group.name, "pool-TOTAL_FORMS": "1", "pool-INITIAL_FORMS": "0", "pool-MIN_NUM_FORMS": "0",
            "pool-MAX_NUM_FORMS": "1", "pool-0-organisation": organisation_id, "pool-0-group": group.pk}


def test_an_admin_gives_a_group_an_organisation_once_and_it_never_moves(client, admin_user, orgs, groups):
    _, theirs, nobodys = groups
    client.force_login(admin_user)
    assert client.post(reverse("admin:auth_group_change", args=[nobodys.pk]),
                       _group_form(nobodys, orgs[0].pk)).status_code == 302
    assert PoolGroup.objects.get(group=nobodys).organisation == orgs[0]

    page = client.get(reverse("admin:auth_group_change", args=[theirs.pk]))
    assert 'name="pool-0-organisation"' not in page.content.decode()  # shown, not offered
    listing = client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert str(orgs[1]) in listing
