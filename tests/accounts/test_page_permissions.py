import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ANNOTATOR_PAGES = ["home", "verification"]


@pytest.mark.parametrize("name", ANNOTATOR_PAGES)
def test_anonymous_is_redirected_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ANNOTATOR_PAGES)
def test_annotator_reaches_their_pages(client, annotator, name):
    client.force_login(annotator)
    assert client.get(reverse(name)).status_code == 200


def test_integrator_is_refused_from_annotator_pages(client, integrator):
    client.force_login(integrator)
    assert client.get(reverse("verification")).status_code == 403


def test_integrator_is_sent_from_the_start_page_to_their_api_access_page(client, integrator):
    client.force_login(integrator)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("api_access")


def test_annotator_never_reaches_the_admin(client, annotator):
    client.force_login(annotator)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url
    # Not even by logging in on the admin's own form.
    client.logout()
    login = client.post("/admin/login/", {"username": annotator.username, "password": "correct-horse-battery"})
    assert login.status_code == 400 and b"staff account" in login.content  # refused: never 200


def test_integrator_never_reaches_the_admin(client, integrator):
    client.force_login(integrator)
    assert client.get("/admin/").status_code == 302


def test_reviewer_reaches_worker_profiles_but_not_user_editing(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:accounts_workerprofile_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403


def test_admin_reaches_periodic_tasks(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200


def test_login_page_is_public(client):
    assert client.get(reverse("account_login")).status_code == 200
