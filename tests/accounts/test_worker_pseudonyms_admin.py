"""Workers are pseudonymous to everyone but admins, in the admin too: the worker lists and pages (accounts'
worker profiles, quality's worker page, the assignments project managers read) name them by the same `w-…` as
the API and the exports for reviewers and project managers, who cannot search by username or e-mail either;
admins see the account."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import worker_pseudonym
from tasks.models import AssignmentState
from tests.factories import ProjectManagerFactory, pending_profile, verified_worker
from tests.quality.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

IDENTITY = {"username": "zebedee-worker", "email": "zebedee.hidden@mailbox.example"}


@pytest.fixture
def worker():
    return verified_worker(**IDENTITY)


def _page(client, viewer, url, **params) -> str:
    client.force_login(viewer)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _names(page: str, worker) -> tuple[bool, bool]:
    """(the page names the account, the page names the pseudonym)"""
    named = any(value in page for value in (IDENTITY["username"], IDENTITY["email"], "zebedee.hidden"))
    return named, worker_pseudonym(worker.pk) in page


@pytest.fixture
def project_manager():
    return ProjectManagerFactory()


WORKER_PAGES = {
    "profiles": lambda worker: reverse("admin:accounts_workerprofile_changelist"),
    "profile": lambda worker: reverse("admin:accounts_workerprofile_change", args=[worker.worker_profile.pk]),
    "quality list": lambda worker: reverse("admin:quality_workerquality_changelist"),
    "quality page": lambda worker: reverse("admin:quality_workerquality_change", args=[worker.worker_profile.pk]),
}


@pytest.mark.parametrize("page", WORKER_PAGES)
@pytest.mark.parametrize("viewer", ["reviewer", "project_manager"])
def test_staff_see_the_pseudonym_and_never_the_account(client, request, worker, page, viewer):
    text = _page(client, request.getfixturevalue(viewer), WORKER_PAGES[page](worker))
    assert _names(text, worker) == (False, True)


@pytest.mark.parametrize("page", WORKER_PAGES)
def test_admins_see_the_account(client, admin_user, worker, page):
    named, _ = _names(_page(client, admin_user, WORKER_PAGES[page](worker)), worker)
    assert named


@pytest.mark.parametrize("changelist", ["admin:accounts_workerprofile_changelist",
                                        "admin:quality_workerquality_changelist"])
def test_staff_cannot_search_workers_by_username_or_email(client, reviewer, admin_user, worker, changelist):
    verified_worker()  # a second worker: a search that worked would leave one row
    for term in (IDENTITY["username"], IDENTITY["email"]):
        client.force_login(reviewer)
        assert client.get(reverse(changelist), {"q": term}).context["cl"].result_count == 2  # the search is off
        client.force_login(admin_user)
        assert client.get(reverse(changelist), {"q": term}).context["cl"].result_count == 1


def test_a_refused_verification_decision_names_the_worker_by_pseudonym(client, reviewer):
    profile = pending_profile(verified_worker(**IDENTITY))
    client.force_login(reviewer)
    response = client.post(reverse("admin:accounts_workerprofile_changelist"),
                           {"action": "reject_verification", "_selected_action": [profile.pk], "reason": ""},
                           follow=True)
    text = response.content.decode()
    assert "A rejection needs a reason" in text
    assert _names(text, profile.user) == (False, True)


def test_project_managers_see_who_holds_an_assignment_by_pseudonym(client, project_manager, admin_user, worker):
    held = AssignmentFactory(worker=worker, state=AssignmentState.LIVE, finished_at=None,
                             expires_at=timezone.now() + timedelta(minutes=30))
    for url in (reverse("admin:tasks_assignment_changelist"), reverse("admin:tasks_assignment_change", args=[held.pk])):
        assert _names(_page(client, project_manager, url), worker) == (False, True)
        assert _names(_page(client, admin_user, url), worker)[0]
