"""Project membership: open to every verified annotator, or to a pool (a group, a qualification). One
function decides (tasks.assignment.worker_eligibility); assignment, the pages, the annotator API and the
dashboard's project list all follow it, and an outsider learns nothing of a pool's project (404)."""

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import QualificationGrant
from quality.celery_tasks import evaluate_project
from tasks import assignment
from tasks.models import ProjectStatus
from tests.factories import GroupFactory, QualificationFactory, token_for
from tests.quality.factories import AnnotationFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_assignment import verified_worker

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Confidential pharma labelling"
SECRET_INSTRUCTIONS = "Only for the oncology panel"


@pytest.fixture
def group():
    return GroupFactory()


@pytest.fixture
def group_project(group):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_group=group, title=SECRET_TITLE,
                             instructions=SECRET_INSTRUCTIONS)
    ItemFactory(project=project)
    return project


def _member(group):
    worker = verified_worker()
    worker.groups.add(group)
    return worker


def test_an_open_project_admits_every_verified_annotator():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED)
    ItemFactory(project=project)
    worker = verified_worker()
    assert assignment.worker_eligibility(worker=worker, project=project)
    assert assignment.assignment_next(worker=worker, project=project).assignment is not None


def test_a_group_project_admits_its_members_only(group, group_project):
    member, outsider = _member(group), verified_worker()
    assert assignment.worker_eligibility(worker=member, project=group_project)
    refusal = assignment.worker_eligibility(worker=outsider, project=group_project)
    assert not refusal and not refusal.visible
    assert assignment.assignment_next(worker=member, project=group_project).assignment is not None
    with pytest.raises(assignment.NotEligible) as raised:
        assignment.assignment_next(worker=outsider, project=group_project)
    assert raised.value.visible is False
    assert [p.pk for p in assignment.projects_open_to(member)] == [group_project.pk]
    assert assignment.projects_open_to(outsider) == []


def test_a_pool_member_still_needs_verification(group, group_project):
    member = _member(group)
    member.worker_profile.verification_status = "pending"
    member.worker_profile.save()
    refusal = assignment.worker_eligibility(worker=member, project=group_project)
    assert "verified" in refusal.problem and refusal.visible


def test_a_qualification_project_admits_holders_until_revoked(admin_user):
    qualification = QualificationFactory()
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_qualification=qualification)
    worker = verified_worker()
    assert not assignment.worker_eligibility(worker=worker, project=project)
    assert accounts_services.qualification_grant(qualification=qualification, workers=[worker], granted_by=admin_user) == 1
    assert accounts_services.qualification_grant(qualification=qualification, workers=[worker]) == 0  # held once
    assert assignment.worker_eligibility(worker=worker, project=project)
    accounts_services.qualification_revoke(qualification=qualification, workers=[worker])
    assert not assignment.worker_eligibility(worker=worker, project=project)


def test_a_group_or_a_qualification_each_admit(group):
    qualification = QualificationFactory()
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_group=group, pool_qualification=qualification)
    holder = verified_worker()
    accounts_services.qualification_grant(qualification=qualification, workers=[holder])
    assert assignment.worker_eligibility(worker=_member(group), project=project)
    assert assignment.worker_eligibility(worker=holder, project=project)
    assert not assignment.worker_eligibility(worker=verified_worker(), project=project)


def test_only_annotators_are_granted_qualifications(integrator):
    qualification = QualificationFactory()
    assert accounts_services.qualification_grant(qualification=qualification, workers=[integrator]) == 0


def test_passing_a_qualification_project_awards_its_qualification():
    qualification = QualificationFactory()
    test_project = ProjectFactory(status=ProjectStatus.PUBLISHED, awards_qualification=qualification,
                                  award_min_gold_checks=3, award_min_gold_accuracy=0.6)
    restricted = ProjectFactory(status=ProjectStatus.PUBLISHED, pool_qualification=qualification)
    golds = [ItemFactory(project=test_project, gold="TV") for _ in range(3)]
    good, poor, too_few = verified_worker(), verified_worker(), verified_worker()
    # One tuple per gold item: the answers of good (3/3 right), too_few (2/2) and poor (1/3).
    for item, answers in zip(golds, [("TV", "TV", "Phone"), ("TV", "TV", "Phone"), ("TV", None, "TV")]):
        for worker, answer in zip((good, too_few, poor), answers):
            if worker is too_few and item is golds[2]:
                continue  # two checks only: below the minimum of three, however right
            AnnotationFactory(assignment__item=item, assignment__worker=worker, answer=answer)
    result = evaluate_project.delay(test_project.pk).get()
    assert result["qualified"] == 1
    grant = QualificationGrant.objects.get(qualification=qualification)
    assert grant.worker == good and grant.source == QualificationGrant.Source.PROJECT
    assert assignment.worker_eligibility(worker=good, project=restricted)
    assert not assignment.worker_eligibility(worker=poor, project=restricted)
    assert not assignment.worker_eligibility(worker=too_few, project=restricted)
    assert evaluate_project.delay(test_project.pk).get()["qualified"] == 0  # idempotent


def test_deleting_a_pool_group_never_opens_its_project(group, group_project):
    with pytest.raises(ProtectedError):
        group.delete()


# --- Pages and API: outsiders get 404 and never the project's title or instructions --------------------

@pytest.mark.parametrize("status", [ProjectStatus.DRAFT, ProjectStatus.PUBLISHED])
def test_workspace_is_404_for_drafts_and_other_pools(client, group, status):
    project = ProjectFactory(status=status, pool_group=group if status == ProjectStatus.PUBLISHED else None,
                             title=SECRET_TITLE, instructions=SECRET_INSTRUCTIONS)
    client.force_login(verified_worker())
    response = client.get(reverse("workspace", args=[project.pk]))
    assert response.status_code == 404
    page = response.content.decode()
    assert SECRET_TITLE not in page and SECRET_INSTRUCTIONS not in page


def test_workspace_opens_for_a_member(client, group, group_project):
    client.force_login(_member(group))
    response = client.get(reverse("workspace", args=[group_project.pk]))
    assert response.status_code == 200 and SECRET_INSTRUCTIONS in response.content.decode()


def test_workspace_of_a_paused_project_still_says_why(client):
    project = ProjectFactory(status=ProjectStatus.PAUSED, title="Paused but public")
    client.force_login(verified_worker())
    response = client.get(reverse("workspace", args=[project.pk]))
    assert response.status_code == 403 and "not handing out work" in response.content.decode()


def test_dashboard_lists_a_pool_project_to_members_only(client, group, group_project):
    client.force_login(verified_worker())
    assert SECRET_TITLE not in client.get(reverse("home")).content.decode()
    client.force_login(_member(group))
    assert SECRET_TITLE in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("method, url_name", [
    ("post", "api-project-next"), ("get", "api-project-items-left"),
])
def test_annotator_api_is_404_for_other_pools(api_client, group, group_project, method, url_name):
    url = reverse(url_name, args=[group_project.pk])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(verified_worker())}")
    outsider = getattr(api_client, method)(url)
    assert outsider.status_code == 404 and SECRET_TITLE not in outsider.content.decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(_member(group))}")
    assert getattr(api_client, method)(url).status_code == 200


def test_next_any_project_skips_other_pools(api_client, group, group_project):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(verified_worker())}")
    assert api_client.post(reverse("api-next-any")).json()["assignment"] is None


# --- The admin of qualifications ------------------------------------------------------------------------

def test_admin_grants_a_qualification_through_the_inline(client, admin_user):
    qualification = QualificationFactory()
    worker = verified_worker()
    client.force_login(admin_user)
    url = reverse("admin:accounts_qualification_change", args=[qualification.pk])
    response = client.post(url, {
        "name": qualification.name, "description": "",
        "grants-TOTAL_FORMS": "1", "grants-INITIAL_FORMS": "0", "grants-MIN_NUM_FORMS": "0",
        "grants-MAX_NUM_FORMS": "1000", "grants-0-worker": str(worker.pk),
    })
    assert response.status_code == 302
    grant = QualificationGrant.objects.get(qualification=qualification)
    assert grant.worker == worker and grant.granted_by == admin_user


@pytest.mark.parametrize("persona", ["reviewer", "annotator"])
def test_qualification_admin_denies_non_admins(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:accounts_qualification_changelist"))
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or "/admin/login/" in response["Location"]
