"""Project managers run their organisation's projects in the admin (create, edit, publish, import, review,
training), never another organisation's, and never people or tokens. Project pickers list only the projects
in view; a superuser chooses a new project's organisation."""

import json

import pytest
from django.urls import reverse

from accounts.models import MembershipRole
from tasks.models import Project, ProjectStatus
from tests.factories import AdminFactory, OrganisationFactory, ProjectManagerFactory, default_organisation, member_of
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_project_form import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects():
    ours = ProjectFactory(organisation=default_organisation(), title="Our shoes")
    theirs = ProjectFactory(organisation=OrganisationFactory(), title="Their secret phones")
    for project in (ours, theirs):
        ItemFactory(project=project)
    return ours, theirs


@pytest.fixture
def manager(client, projects):
    user = member_of(projects[0].organisation, ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER)
    client.force_login(user)
    return user


def test_a_project_manager_creates_a_project_in_their_organisation(client, manager, projects):
    page = client.get(reverse("admin:tasks_project_add"))
    assert page.status_code == 200 and 'name="organisation"' not in page.content.decode()
    data = {**FORM, "title": "Made by the manager", "label_schema": json.dumps({"labels": ["A", "B"]})}
    response = client.post(reverse("admin:tasks_project_add"), data)
    assert response.status_code == 302
    assert Project.objects.get(title="Made by the manager").organisation == projects[0].organisation


def test_a_project_manager_publishes_and_imports_only_their_organisations_projects(client, manager, projects):
    ours, theirs = projects
    assert client.post(reverse("admin:tasks_project_publish", args=[ours.pk])).status_code == 302
    assert client.post(reverse("admin:tasks_project_publish", args=[theirs.pk])).status_code == 404
    ours.refresh_from_db(), theirs.refresh_from_db()
    assert (ours.status, theirs.status) == (ProjectStatus.PUBLISHED, ProjectStatus.DRAFT)
    assert client.get(reverse("admin:tasks_project_import", args=[ours.pk])).status_code == 200
    assert client.get(reverse("admin:tasks_project_import", args=[theirs.pk])).status_code == 404


def test_a_project_manager_edits_their_project_and_not_another(client, manager, projects):
    ours, theirs = projects
    page = client.get(reverse("admin:tasks_project_change", args=[ours.pk]))
    assert page.status_code == 200 and 'name="title"' in page.content.decode()  # editable, not read-only
    assert client.get(reverse("admin:tasks_project_change", args=[theirs.pk])).status_code == 302  # "no such"


@pytest.mark.parametrize("name", ["accounts_user_changelist", "accounts_apitoken_changelist",
                                  "accounts_organisation_changelist", "accounts_qualification_changelist"])
def test_a_project_manager_never_manages_people_or_tokens(client, manager, name):
    assert client.get(reverse(f"admin:{name}")).status_code == 403


@pytest.mark.parametrize("name", ["training_trainingrun_add", "quality_verificationsample_add",
                                  "training_labelexport_changelist", "training_datasetsnapshot_add"])
def test_project_pickers_list_only_the_projects_in_view(client, manager, name):
    page = client.get(reverse(f"admin:{name}"))
    assert page.status_code == 200
    assert "Our shoes" in page.content.decode() and "Their secret phones" not in page.content.decode()


def test_a_project_manager_sees_the_review_queue(client, manager):
    assert client.get(reverse("admin:quality_reviewqueueitem_changelist")).status_code == 200


def test_a_superuser_chooses_the_organisation_of_a_new_project(client, projects):
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:tasks_project_add"))
    assert 'name="organisation"' in page.content.decode()
    assert "Their secret phones" in client.get(reverse("admin:training_trainingrun_add")).content.decode()
    theirs = projects[1].organisation
    response = client.post(reverse("admin:tasks_project_add"), {
        **FORM, "title": "Placed by the admin", "label_schema": json.dumps({"labels": ["A", "B"]}),
        "organisation": theirs.pk})
    assert response.status_code == 302
    assert Project.objects.get(title="Placed by the admin").organisation == theirs
