"""Background imports: the upload staged, validated and stored all or nothing by the Celery task (eager here),
progress while it runs, the outcome and the error report through the API, other organisations kept out."""

import csv
import io
import os
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse

from tasks.importing import jobs, service
from tasks.models import ImportJob, Item
from accounts.models import MembershipRole
from tests.factories import IntegratorFactory, OrganisationFactory, ProjectManagerFactory, member_of, token_for
from tests.tasks.factories import ImportJobFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _csv(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "title"])
    writer.writerows(rows)
    return SimpleUploadedFile("items.csv", out.getvalue().encode(), "text/csv")


@pytest.fixture
def integrator(api_client):
    project = ProjectFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(member_of(project.organisation, IntegratorFactory()))}")
    return api_client, project


def _start(client, project, upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("api-project-import-jobs", args=[project.pk]), {"file": upload}, format="multipart")


def test_an_upload_answers_202_and_its_job_imports_it(integrator, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path
    client, project = integrator
    response = _start(client, project, _csv([(f"p{n}", f"phone {n}") for n in range(30)]),
                      django_capture_on_commit_callbacks)
    assert response.status_code == 202 and response["Location"] == response.json()["url"]
    status = client.get(response.json()["url"]).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert (status["rows_done"], status["rows_total"], status["created"]) == (30, 30, 30)
    assert Item.objects.filter(project=project).count() == 30
    assert list(tmp_path.iterdir()) == [], "the staged upload is removed once imported"


def test_the_format_given_to_the_api_is_the_one_the_job_reads(integrator, django_capture_on_commit_callbacks,
                                                             settings, tmp_path):
    """A file whose name says nothing of its format (an export named .txt) imports with `format=csv`, as the
    synchronous endpoint does; the job used to drop the option and fail on the name."""
    settings.IMPORT_STAGING_DIR = tmp_path
    client, project = integrator
    upload = SimpleUploadedFile("export.txt", b"external_id,title\nt1,phone one\nt2,phone two\n", "text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api-project-import-jobs", args=[project.pk]), {"file": upload, "format": "csv"},
                               format="multipart")
    status = client.get(response.json()["url"]).json()
    assert (status["state"], status["created"]) == ("done", 2), status["summary"]
    assert sorted(Item.objects.filter(project=project).values_list("external_id", flat=True)) == ["t1", "t2"]


def test_one_bad_row_stores_nothing_and_the_report_names_it(integrator, django_capture_on_commit_callbacks, settings,
                                                            tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path
    client, project = integrator
    response = _start(client, project, _csv([("a", "phone"), ("b", ""), ("c", "tv")]),
                      django_capture_on_commit_callbacks)
    status = client.get(response.json()["url"]).json()
    assert status["state"] == "failed" and status["error_count"] == 1 and status["errors"][0]["line"] == 3
    assert Item.objects.filter(project=project).count() == 0
    report = client.get(status["errors_url"])
    assert report["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.content.decode())))
    assert rows[0] == ["line", "reason"] and rows[1][0] == "3" and rows[1][1]


def test_progress_is_noted_every_batch_of_each_pass(monkeypatch, settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path
    monkeypatch.setattr(service, "BATCH_SIZE", 10)
    noted = []
    monkeypatch.setattr(jobs, "_progress_note", lambda job, *state: noted.append(state))
    project = ProjectFactory()
    job = ImportJob.objects.create(project=project, filename="items.csv", staged=_staged(25))
    jobs.import_job_run(job_id=job.pk)
    assert noted == [("validating", 0, None), ("validating", 10, None), ("validating", 20, None),
                     ("validating", 25, None), ("importing", 0, 25), ("importing", 10, 25), ("importing", 20, 25),
                     ("importing", 25, 25)]
    job.refresh_from_db()
    assert job.state == "done" and job.created == 25


def test_the_store_pass_progress_is_seen_from_outside_its_transaction(monkeypatch, settings, tmp_path):
    """The web server reads progress while the worker's store pass holds its one transaction open. With the
    embedded default's cache (kept in the database) the notes were written inside that transaction: the bar
    stood at the end of validation until the whole file was stored. Read here from another thread, which has
    its own database connection, as the web server does."""
    settings.IMPORT_STAGING_DIR = tmp_path
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": settings.DATABASE_CACHE_TABLE}}
    monkeypatch.setattr(service, "BATCH_SIZE", 10)
    job = ImportJob.objects.create(project=ProjectFactory(), filename="items.csv", staged=_staged(25))
    note, seen = jobs._progress_note, []

    def note_and_look(noted_for, phase, rows_done, rows_total):
        note(noted_for, phase, rows_done, rows_total)
        if (phase, rows_done) == ("importing", 10):
            running = ImportJob.objects.get(pk=job.pk)
            reader = threading.Thread(target=_look, args=(running, seen))
            reader.start()
            reader.join()

    monkeypatch.setattr(jobs, "_progress_note", note_and_look)
    jobs.import_job_run(job_id=job.pk)
    assert seen == [("importing", 10, 25)]


def _look(job, seen):
    try:
        progress = jobs.import_job_progress(job)
        seen.append((progress["phase"], progress["rows_done"], progress["rows_total"]))
    except Exception as error:  # the database cache's table, locked by the open transaction (SQLite)
        seen.append(repr(error))
    finally:
        connections.close_all()


def test_a_running_job_shows_its_live_progress(settings, tmp_path):
    job = ImportJob.objects.create(project=ProjectFactory(), filename="items.csv", staged="0" * 32, state="running")
    jobs._progress_note(job, "importing", 500, 1000)
    progress = jobs.import_job_progress(job)
    assert (progress["phase"], progress["rows_done"], progress["rows_total"], progress["percent"]) == (
        "importing", 500, 1000, 75)


def test_a_job_already_finished_is_not_run_again(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path
    job = ImportJob.objects.create(project=ProjectFactory(), filename="items.csv", staged=_staged(3), state="done")
    assert jobs.import_job_run(job_id=job.pk) is None
    assert Item.objects.count() == 0


def test_another_organisations_integrator_sees_no_job(integrator, django_capture_on_commit_callbacks, settings,
                                                     tmp_path, api_client):
    settings.IMPORT_STAGING_DIR = tmp_path
    client, project = integrator
    job_url = _start(client, project, _csv([("a", "phone")]), django_capture_on_commit_callbacks).json()["url"]
    outsider = member_of(OrganisationFactory(), IntegratorFactory())
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(outsider)}")
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + "errors/").status_code == 404
    assert _start(client, project, _csv([("a", "phone")]), django_capture_on_commit_callbacks).status_code == 404


def _staged(rows: int) -> str:
    from tasks.importing import staging

    return staging.upload_stage(_csv([(f"i{n}", f"item {n}") for n in range(rows)]))


# --- The admin: confirmed and large imports run as the job, with a progress page ----------------------------

def _admin_upload(client, project, upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("admin:tasks_project_import", args=[project.pk]), {"file": upload, "mapping": ""})


def test_the_admin_sends_a_file_too_large_to_preview_straight_to_the_job(
        client, admin_user, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.IMPORT_STAGING_DIR, settings.IMPORT_SYNC_MAX_BYTES = tmp_path, 100
    project = ProjectFactory()
    client.force_login(admin_user)
    response = _admin_upload(client, project, _csv([(f"p{n}", f"phone {n}") for n in range(20)]),
                             django_capture_on_commit_callbacks)
    job = ImportJob.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tasks_project_import_job", args=[project.pk, job.pk])
    status = client.get(reverse("admin:tasks_project_import_job_status", args=[project.pk, job.pk])).json()
    assert (status["state"], status["rows_total"], status["percent"]) == ("done", 20, 100)
    page = client.get(response["Location"]).content.decode()
    assert 'id="import-progress"' in page and 'id="import-done"' in page and "20 item(s) created" in page
    assert Item.objects.filter(project=project).count() == 20 and list(tmp_path.iterdir()) == []


def test_the_admin_job_page_lists_the_errors_and_offers_the_report(
        client, admin_user, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.IMPORT_STAGING_DIR, settings.IMPORT_SYNC_MAX_BYTES = tmp_path, 10
    project = ProjectFactory()
    client.force_login(admin_user)
    response = _admin_upload(client, project, _csv([("a", "phone"), ("b", "")]), django_capture_on_commit_callbacks)
    page = client.get(response["Location"]).content.decode()
    job = ImportJob.objects.get(project=project)
    assert 'id="import-failed"' in page and "<td>3</td>" in page and 'id="import-errors-csv"' in page
    report = client.get(reverse("admin:tasks_project_import_job_errors", args=[project.pk, job.pk]))
    assert report["Content-Type"].startswith("text/csv") and list(csv.reader(io.StringIO(report.content.decode())))[1][0] == "3"
    assert not Item.objects.exists()


def test_the_job_page_of_a_running_job_shows_its_progress(client, admin_user):
    job = ImportJob.objects.create(project=ProjectFactory(), filename="items.csv", staged="0" * 32, state="running")
    jobs._progress_note(job, "importing", 500, 1000)
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_project_import_job", args=[job.project_id, job.pk])).content.decode()
    assert 'value="75"' in page and "500 of 1000" in page and 'id="import-running"' in page


JOB_PAGES = ("admin:tasks_project_import_job", "admin:tasks_project_import_job_status",
             "admin:tasks_project_import_job_errors")


def test_another_organisations_job_is_not_found_in_the_admin(client):
    job = ImportJobFactory()
    client.force_login(member_of(OrganisationFactory(), ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER))
    for name in JOB_PAGES:
        assert client.get(reverse(name, args=[job.project_id, job.pk])).status_code == 404, name


def test_a_job_is_reached_through_its_own_project_only(client, admin_user):
    job, other_project = ImportJobFactory(), ProjectFactory()
    client.force_login(admin_user)
    for name in JOB_PAGES:
        assert client.get(reverse(name, args=[other_project.pk, job.pk])).status_code == 404, name


# --- The synchronous API import: a file too large is sent to the job --------------------------------------

def test_the_sync_import_refuses_a_large_file_and_names_the_imports_endpoint(integrator, settings):
    settings.IMPORT_SYNC_MAX_BYTES = 1000
    client, project = integrator
    response = client.post(reverse("api-project-items-import", args=[project.pk]),
                           {"file": _csv([(f"p{n}", f"phone {n}") for n in range(10_000)])}, format="multipart")
    body = response.json()
    assert response.status_code == 413 and body["code"] == "too_large"
    assert f"/api/projects/{project.pk}/imports/" in body["detail"]
    assert not Item.objects.exists()


def test_a_large_upload_is_moved_into_staging_not_copied(settings, tmp_path):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from tasks.importing import staging

    settings.IMPORT_STAGING_DIR, settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "staged", tmp_path
    upload = TemporaryUploadedFile("items.csv", "text/csv", 0, "utf-8")
    upload.write(b"external_id,title\na,phone\n")
    upload.flush()
    temporary = upload.temporary_file_path()
    token = staging.upload_stage(upload)
    assert staging.staged_path(token).read_bytes() == b"external_id,title\na,phone\n"
    assert not os.path.exists(temporary)
    upload.close()  # Django's clean-up at the end of the request: the file is gone, and that is fine
