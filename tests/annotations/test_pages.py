import pytest
from django.urls import reverse

from tasks.models import ProjectStatus
from tests.factories import IntegratorFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, title="Phones <b>and</b> TVs",
                             instructions="Pick **one**. <script>alert(1)</script>")
    ItemFactory(project=project, data={"title": "<script>alert('x')</script> iPhone"})
    return project


def test_dashboard_lists_open_projects_with_their_facts(client, project):
    client.force_login(verified_worker())
    page = client.get(reverse("home")).content.decode()
    assert "Phones &lt;b&gt;and&lt;/b&gt; TVs" in page
    assert "Difficulty 1/5" in page and "Start labelling" in page
    assert reverse("workspace", args=[project.pk]) in page


def test_dashboard_hides_projects_the_worker_may_not_do(client, project):
    unverified = verified_worker()
    unverified.worker_profile.verification_status = "pending"
    unverified.worker_profile.save()
    client.force_login(unverified)
    page = client.get(reverse("home")).content.decode()
    assert "Start labelling" not in page and "verified account" in page


def test_workspace_renders_instructions_safely(client, project):
    client.force_login(verified_worker())
    response = client.get(reverse("workspace", args=[project.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>one</strong>" in page and "<script>alert(1)</script>" not in page
    assert 'id="workspace-config"' in page


def test_workspace_tells_an_ineligible_worker_why(client, project):
    worker = verified_worker()
    worker.worker_profile.suspended = True
    worker.worker_profile.suspended_reason = "too fast"
    worker.worker_profile.save()
    client.force_login(worker)
    response = client.get(reverse("workspace", args=[project.pk]))
    assert response.status_code == 403 and "too fast" in response.content.decode()


# The start page ("home") sends integrators to their API access page: tests/accounts/test_page_permissions.py.
@pytest.mark.parametrize("name", ["workspace"])
def test_pages_deny_outsiders(client, project, name):
    url = reverse(name, args=[project.pk] if name == "workspace" else [])
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(IntegratorFactory())
    assert client.get(url).status_code == 403


def test_dashboard_shows_a_project_with_nothing_left_without_a_start_button(client, project):
    from annotations.services import annotation_submit
    from tasks import assignment as assignment_service

    worker = verified_worker()
    assignment = assignment_service.assignment_next(worker=worker, project=project).assignment
    annotation_submit(worker=worker, assignment_id=assignment.pk, answer="TV")
    client.force_login(worker)
    page = client.get(reverse("home")).content.decode()
    assert "Nothing left for you" in page and "Start labelling" not in page and "Continue labelling" not in page
    assert "You have answered or skipped every item" in page


def test_dashboard_never_says_you_answered_everything_to_a_worker_who_answered_nothing(client, project):
    project.items.update(is_gold=True, gold="TV")  # only checks: nothing to hand out
    client.force_login(verified_worker())
    page = client.get(reverse("home")).content.decode()
    assert "Nothing left for you" in page and "No item here needs your answer right now." in page
    assert "You have answered or skipped every item" not in page


def test_dashboard_says_quality_and_priority_in_percent(client, project):
    worker = verified_worker(weight=0.696)
    worker.worker_profile.quality_score = 0.83438
    worker.worker_profile.save()
    client.force_login(worker)
    page = client.get(reverse("home")).content.decode()
    assert "83%" in page and "70%" in page and "0.83" not in page and "About 1 item left for you" in page
