"""The import preview: what a file would become, before anything is stored (admin page and API)."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks.admin import STAGED_SESSION_KEY
from tasks.importing import items_import, items_import_preview, staging
from tasks.models import ImportJob, Item
from tests.factories import AdminFactory, AnnotatorFactory, IntegratorFactory, ReviewerFactory, token_for
from tests.tasks.factories import ProjectFactory

pytestmark = pytest.mark.django_db

SEMICOLON_CSV = "Product ID;Product Title;Category\np1;Café crème;phone\np2;Bravia 55;TV\np3;Ryzen 7;\n".encode("cp1252")
MAPPING = '{"external_id": "Product ID", "fields": {"title": "Product Title"}, "gold": "Category"}'


@pytest.fixture(autouse=True)
def _staging_dir(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staged")


# --- The service --------------------------------------------------------------------------------------

def test_preview_shows_how_the_file_was_read_and_its_first_rows_and_stores_nothing():
    project = ProjectFactory()
    preview = items_import_preview(project=project, source=io.BytesIO(SEMICOLON_CSV), filename="x.csv",
                                   mapping={"external_id": "Product ID", "fields": {"title": "Product Title"},
                                            "gold": "Category"}, sample_rows=2)
    assert preview.problems is None and preview.total_rows == 3 and preview.file_format == "csv"
    assert (preview.dialect.delimiter, preview.dialect.encoding) == (";", "cp1252")
    assert preview.columns == ["Product ID", "Product Title", "Category"]
    assert [(row.external_id, row.data, row.gold) for row in preview.rows] == [
        ("p1", {"title": "Café crème"}, "Phone"), ("p2", {"title": "Bravia 55"}, "TV")]
    assert not Item.objects.exists()


ALL_GOLD_CSV = b"id,title,label\n1,iPhone,Phone\n2,Bravia,TV\n"
ALL_GOLD_MAPPING = {"external_id": "id", "fields": {"title": "title"}, "gold": "label"}


def test_preview_and_import_say_when_every_row_is_gold():
    project = ProjectFactory()
    preview = items_import_preview(project=project, source=io.BytesIO(ALL_GOLD_CSV), filename="x.csv",
                                   mapping=ALL_GOLD_MAPPING)
    assert preview.problems is None and (preview.total_rows, preview.gold_rows) == (2, 2)
    assert preview.all_gold_note == ("All 2 row(s) have a gold answer: they are checks, not work. Leave the gold "
                                     "column empty for the items to label.")
    report = items_import(project=project, source=io.BytesIO(ALL_GOLD_CSV), filename="x.csv",
                          mapping=ALL_GOLD_MAPPING)
    assert report.summary().endswith(preview.all_gold_note)
    mixed = items_import_preview(project=project, source=io.BytesIO(SEMICOLON_CSV), filename="x.csv",
                                 mapping={"external_id": "Product ID", "fields": {"title": "Product Title"},
                                          "gold": "Category"})
    assert mixed.gold_rows == 2 and mixed.all_gold_note == ""


def test_preview_lists_the_problems_the_import_would_stop_on():
    project = ProjectFactory()
    preview = items_import_preview(project=project, source=io.BytesIO(b"id,title\n1,ok\n2,\n"), filename="x.csv")
    assert [(row.line, row.reason) for row in preview.problems.errors] == [
        (3, "The field 'title' is missing or empty.")]
    assert preview.rows[1].reason == "The field 'title' is missing or empty." and preview.total_rows == 2
    structural = items_import_preview(project=project, source=io.BytesIO(b"id;name\n1;x\n"), filename="x.csv")
    assert structural.columns == ["id", "name"] and structural.rows == []
    assert structural.problems.errors[0].reason.startswith("Column 'title' not found; columns found: id, name;")
    unknown = items_import_preview(project=project, source=io.BytesIO(b"x"), filename="x.txt")
    assert unknown.file_format == "" and "Cannot tell the format" in unknown.problems.errors[0].reason


# --- The admin page -------------------------------------------------------------------------------------

def _preview(client, project, data=SEMICOLON_CSV, mapping=MAPPING):
    url = reverse("admin:tasks_project_import", args=[project.pk])
    return client.post(url, {"file": SimpleUploadedFile("items.csv", data), "mapping": mapping})


def test_admin_preview_page_shows_columns_dialect_and_mapped_rows(client, admin_user):
    project = ProjectFactory()
    client.force_login(admin_user)
    page = _preview(client, project).content.decode()
    assert "delimiter guessed: semicolon (;); encoding guessed: cp1252" in page
    assert "<code>Product ID</code>, <code>Product Title</code>, <code>Category</code>" in page
    assert "<strong>title</strong>: Café crème" in page and "<td>Phone</td>" in page
    assert "Import 3 row(s)" in page and not Item.objects.exists()


def test_admin_preview_warns_when_every_row_is_gold(client, admin_user):
    client.force_login(admin_user)
    page = _preview(client, ProjectFactory(), ALL_GOLD_CSV, mapping=json.dumps(ALL_GOLD_MAPPING)).content.decode()
    assert 'id="import-all-gold"' in page and "All 2 row(s) have a gold answer: they are checks, not work." in page
    assert 'id="import-all-gold"' not in _preview(client, ProjectFactory()).content.decode()


def test_admin_file_problems_have_no_line_none(client, admin_user):
    project = ProjectFactory()
    client.force_login(admin_user)
    page = _preview(client, project, b"id;name\n1;x\n", mapping="").content.decode()
    assert "Column &#x27;title&#x27; not found; columns found: id, name" in page
    assert "None" not in page.split('id="import-problems"')[1].split("</div>")[0]


def test_confirm_imports_the_staged_file_once_and_removes_it(client, admin_user, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    client.force_login(admin_user)
    token = _preview(client, project).context["staged"]
    url = reverse("admin:tasks_project_import", args=[project.pk])
    with django_capture_on_commit_callbacks(execute=True):  # the background job, run at once (eager)
        client.post(url, {"staged": token})
    assert {item.external_id: item.gold for item in project.items.all()} == {"p1": "Phone", "p2": "TV", "p3": None}
    assert staging.staged_path(token) is None and token not in client.session[STAGED_SESSION_KEY]
    again = client.post(url, {"staged": token}, follow=True)
    assert "That preview has expired" in again.content.decode() and project.items.count() == 3


def test_a_staged_file_is_imported_only_by_its_uploader_into_its_project(client, admin_user,
                                                                          django_capture_on_commit_callbacks):
    project, other_project = ProjectFactory(), ProjectFactory()
    client.force_login(admin_user)
    token = _preview(client, project).context["staged"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:tasks_project_import", args=[other_project.pk]), {"staged": token})
        client.force_login(AdminFactory())  # another admin's session does not hold the token
        client.post(reverse("admin:tasks_project_import", args=[project.pk]), {"staged": token})
    assert not Item.objects.exists() and not ImportJob.objects.exists() and staging.staged_path(token) is not None


@pytest.mark.parametrize("persona, status", [("annotator", 302), ("reviewer", 403)])
def test_preview_and_confirm_deny_non_admins(client, admin_user, persona, status):
    project = ProjectFactory()
    client.force_login(admin_user)
    token = _preview(client, project).context["staged"]
    client.force_login({"annotator": AnnotatorFactory, "reviewer": ReviewerFactory}[persona]())
    url = reverse("admin:tasks_project_import", args=[project.pk])
    assert client.post(url, {"file": SimpleUploadedFile("items.csv", SEMICOLON_CSV)}).status_code == status
    assert client.post(url, {"staged": token}).status_code == status
    assert not Item.objects.exists()


# --- The API ---------------------------------------------------------------------------------------------

def _api_preview(api_client, project, **extra):
    upload = io.BytesIO(SEMICOLON_CSV)
    upload.name = "items.csv"
    return api_client.post(reverse("api-project-items-import", args=[project.pk]),
                           {"file": upload, "mapping": MAPPING, "preview": "true", **extra}, format="multipart")


def test_api_preview_answers_without_storing(api_client):
    project = ProjectFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    response = _api_preview(api_client, project)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["format"], body["delimiter"], body["encoding"], body["ok"]) == ("csv", ";", "cp1252", True)
    assert body["columns"] == ["Product ID", "Product Title", "Category"] and body["total_rows"] == 3
    assert body["rows"][0] == {"line": 2, "external_id": "p1", "data": {"title": "Café crème"}, "gold": "Phone"}
    assert body["gold_rows"] == 2 and body["warnings"] == []
    assert not Item.objects.exists()
    comma = _api_preview(api_client, project, delimiter=",").json()
    assert comma["ok"] is False and comma["delimiter"] == "," and comma["delimiter_guessed"] is False
    assert comma["errors"][0]["line"] is None and "columns found: Product ID;Product Title;Category" in (
        comma["errors"][0]["reason"])


@pytest.mark.parametrize("persona, status", [("anonymous", 401), ("annotator", 403), ("reviewer", 403)])
def test_api_preview_denies_outsiders(api_client, persona, status):
    project = ProjectFactory()
    if persona != "anonymous":
        user = {"annotator": AnnotatorFactory, "reviewer": ReviewerFactory}[persona]()
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    assert _api_preview(api_client, project).status_code == status
