"""The model loop in the admin and the API: snapshots made and downloaded on their own, the export page,
model versions with their figures, the guard before activating a weaker one, and runs that name the version
they produced and refresh their page while they run."""

import io
import json
import zipfile

import pytest
from datasets import DatasetDict, load_from_disk
from django.urls import reverse

from tests.factories import AdminFactory, AnnotatorFactory, IntegratorFactory, ReviewerFactory, token_for
from tests.tasks.factories import ProjectFactory
from tests.training.factories import ModelVersionFactory, RunFactory, SnapshotFactory
from training import selectors, services, snapshots
from training.models import DatasetSnapshot, ModelVersion, RunStatus

pytestmark = pytest.mark.django_db


def unzipped(content: bytes, into) -> list:
    """The zip's top-level names, after extracting it into `into`."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(into)
        return sorted({name.split("/")[0] for name in archive.namelist()})


def assert_loads_as_dataset(folder, items: int):
    dataset = load_from_disk(str(folder))  # the unzipped folder as it is: no "/data" to append
    assert isinstance(dataset, DatasetDict) and set(dataset) == {"train", "validation", "test"}
    assert sum(len(split) for split in dataset.values()) == items
    assert set(dataset["train"].features) >= {"id", "text", "label"}
    assert json.loads((folder / "manifest.json").read_text())["items"] == items


# --- Snapshots and exports ------------------------------------------------------------------------

def test_the_admin_makes_a_snapshot_without_a_run_and_downloads_it_as_a_dataset(client, admin_user, category_project,
                                                                                 tmp_path, settings):
    settings.TRAINING_DIR = tmp_path / "training"
    client.force_login(admin_user)
    response = client.post(reverse("admin:training_datasetsnapshot_add"), {"project": category_project.pk})
    snapshot = DatasetSnapshot.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:training_datasetsnapshot_change", args=[snapshot.pk])
    assert snapshot.item_count == 60 and snapshot.created_by == admin_user and not snapshot.runs.exists()

    url = reverse("admin:training_datasetsnapshot_download", args=[snapshot.pk])
    assert url in client.get(reverse("admin:training_datasetsnapshot_changelist")).content.decode()
    first = b"".join(client.get(url).streaming_content)
    top = unzipped(first, tmp_path / "out")
    assert top == [snapshots.snapshot_download_name(snapshot)]
    assert_loads_as_dataset(tmp_path / "out" / top[0], 60)
    assert b"".join(client.get(url).streaming_content) == first  # made once, then served as it is
    # A download that broke off after 1,000 bytes resumes from there, and the two parts are the file.
    rest = client.get(url, HTTP_RANGE="bytes=1000-")
    assert rest.status_code == 206 and rest["Content-Range"] == f"bytes 1000-{len(first) - 1}/{len(first)}"
    assert first[:1000] + b"".join(rest.streaming_content) == first
    assert rest["Content-Disposition"].startswith("attachment") and rest["Accept-Ranges"] == "bytes"


def test_a_snapshot_of_too_few_labels_is_refused_with_the_reason(client, admin_user):
    client.force_login(admin_user)
    page = client.post(reverse("admin:training_datasetsnapshot_add"), {"project": ProjectFactory().pk}).content.decode()
    assert "at least 3 are needed" in page and not DatasetSnapshot.objects.exists()


def test_the_export_page_is_in_the_navigation_and_exports_a_hugging_face_dataset(client, admin_user, category_project, tmp_path):
    client.force_login(admin_user)
    export = reverse("admin:training_labelexport_changelist")
    assert f'href="{export}"' in client.get(reverse("admin:index")).content.decode()
    assert f'href="{export}"' in client.get(reverse("admin:training_trainingrun_changelist")).content.decode()  # sidebar

    response = client.post(export, {"project": category_project.pk, "format": "hf"})
    assert response["Content-Type"] == "application/zip"
    top = unzipped(b"".join(response.streaming_content), tmp_path)
    assert_loads_as_dataset(tmp_path / top[0], 60)
    assert not DatasetSnapshot.objects.exists()  # an export records nothing
    jsonl = client.post(export, {"project": category_project.pk, "format": "jsonl"}).content.decode()
    assert len(jsonl.splitlines()) == 60


def test_the_export_api_gives_a_hugging_face_dataset(api_client, category_project, tmp_path):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    response = api_client.get(reverse("api-project-export", args=[category_project.pk]), {"export_format": "hf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    top = unzipped(b"".join(response.streaming_content), tmp_path)
    assert_loads_as_dataset(tmp_path / top[0], 60)
    unknown = api_client.get(reverse("api-project-export", args=[category_project.pk]), {"export_format": "parquet"})
    assert unknown.status_code == 400


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "hf"])
def test_with_nothing_accepted_the_export_page_says_so_instead_of_a_download(client, admin_user, fmt):
    client.force_login(admin_user)
    project = ProjectFactory(title="Fresh")
    response = client.post(reverse("admin:training_labelexport_changelist"), {"project": project.pk, "format": fmt})
    assert response.status_code == 200 and "Content-Disposition" not in response
    assert "Nothing to export yet: no item of “Fresh” has an accepted label." in response.content.decode()


def test_with_nothing_accepted_the_export_api_answers_409(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    response = api_client.get(reverse("api-project-export", args=[ProjectFactory().pk]), {"export_format": "jsonl"})
    assert response.status_code == 409 and response.json()["detail"].startswith("Nothing to export yet")
    schema = api_client.get(reverse("schema"), {"format": "json"}).json()
    assert "409" in schema["paths"]["/api/projects/{id}/export/"]["get"]["responses"]


# --- Model versions: figures and the activation guard ---------------------------------------------

def test_model_versions_show_their_figures_in_the_list_and_on_their_page(client, admin_user):
    version = ModelVersionFactory(macro_f1=0.87342)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:training_modelversion_changelist")).content.decode()
    assert "macro-F1 0.87" in listing and "0.87342" not in listing
    assert reverse("admin:training_trainingrun_change", args=[version.run_id]) in listing
    page = client.get(reverse("admin:training_modelversion_change", args=[version.pk])).content.decode()
    assert "Test</strong> (6 examples): macro-F1 0.87, accuracy 0.87" in page
    assert "<td>phone</td><td>0.87</td><td>0.87</td><td>0.87</td><td>6</td>" in page


def test_a_versions_page_and_the_side_by_side_say_which_backend_serves_it(client, admin_user, tmp_path):
    exported, plain = tmp_path / "exported", tmp_path / "plain"
    for folder in (exported, plain):
        folder.mkdir()
    (exported / "model.onnx").write_bytes(b"x")
    (exported / "model.int8.onnx").write_bytes(b"x")
    (exported / "model.int8.json").write_text('{"fallback_margin": 0.1}')
    onnx = ModelVersionFactory(folder=str(exported))
    torch_only = ModelVersionFactory(project=onnx.project, folder=str(plain))
    gone = ModelVersionFactory(project=onnx.project)  # /nonexistent/model
    client.force_login(admin_user)
    for version, expected in ((onnx, "ONNX Runtime, int8"), (torch_only, "PyTorch (no ONNX export"),
                              (gone, "its files are not on this server")):
        page = client.get(reverse("admin:training_modelversion_change", args=[version.pk])).content.decode()
        assert "Served by (CPU)" in page and expected in page
    side_by_side = client.post(reverse("admin:training_modelversion_changelist"), {
        "action": "compare", "_selected_action": [onnx.pk, torch_only.pk]}).content.decode()
    assert "served by (CPU)" in side_by_side and "ONNX Runtime, int8" in side_by_side and "PyTorch" in side_by_side


def _activate(client, version, **extra):
    return client.post(reverse("admin:training_modelversion_changelist"),
                       {"action": "activate", "_selected_action": [version.pk], **extra})


def test_activating_a_weaker_version_asks_first_and_activates_when_confirmed(client, admin_user):
    project = ProjectFactory()
    active = services.model_version_activate(version=ModelVersionFactory(project=project, macro_f1=0.8))
    weaker = ModelVersionFactory(project=project, macro_f1=0.7)
    client.force_login(admin_user)

    page = _activate(client, weaker)
    body = page.content.decode()
    assert page.status_code == 200 and "Activate a weaker model?" in body
    assert f"v{weaker.version}&#x27;s macro-F1 0.70 is lower than the active v{active.version}&#x27;s macro-F1 0.80." in body
    assert ModelVersion.objects.get(is_active=True) == active

    _activate(client, weaker, confirmed="yes")
    assert ModelVersion.objects.get(is_active=True) == weaker


def test_a_version_below_the_floor_asks_first_even_with_none_active(client, admin_user, settings):
    settings.TRAINING_ACTIVATION_FLOOR = 0.5
    poor = ModelVersionFactory(macro_f1=0.12)
    client.force_login(admin_user)
    assert "below the floor of 0.50" in _activate(client, poor).content.decode()
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_a_better_version_is_activated_without_a_question(client, admin_user):
    project = ProjectFactory()
    services.model_version_activate(version=ModelVersionFactory(project=project, macro_f1=0.7))
    better = ModelVersionFactory(project=project, macro_f1=0.9)
    client.force_login(admin_user)
    response = _activate(client, better)
    assert response.status_code == 302 and ModelVersion.objects.get(is_active=True) == better


def test_the_headline_falls_back_to_validation_and_span_models_use_entity_f1():
    assert str(selectors.headline("sequence", {"test": {}, "validation": {"macro_f1": 0.5}})) == "macro-F1 0.50 (validation)"
    assert str(selectors.headline("token", {"test": {"f1": 0.25, "precision": 0.9}})) == "entity F1 0.25"
    assert selectors.headline("sequence", {}) is None
    version = ModelVersionFactory(metrics={})
    assert "no test or validation figure" in selectors.activation_concerns(version)[0]


def test_the_api_refuses_a_weaker_version_until_confirmed(api_client):
    project = ProjectFactory()
    services.model_version_activate(version=ModelVersionFactory(project=project, macro_f1=0.8))
    weaker = ModelVersionFactory(project=project, macro_f1=0.6)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    url = reverse("api-model-activate", args=[weaker.pk])
    refused = api_client.post(url, {}, format="json")
    assert refused.status_code == 409 and "lower than the active" in refused.json()["concerns"][0]
    assert not ModelVersion.objects.get(pk=weaker.pk).is_active
    assert api_client.post(url, {"confirm": True}, format="json").status_code == 200
    assert ModelVersion.objects.get(pk=weaker.pk).is_active


# --- The API lists model versions; runs name the version they produced ----------------------------

def test_the_api_lists_a_projects_model_versions_page_by_page(api_client):
    project = ProjectFactory()
    first, second = ModelVersionFactory(project=project, macro_f1=0.6), ModelVersionFactory(project=project, macro_f1=0.9)
    ModelVersionFactory()  # another project's
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    url = reverse("api-project-model-versions", args=[project.pk])
    body = api_client.get(url, {"page_size": 1}).json()
    assert body["count"] == 2 and body["next"] and len(body["results"]) == 1
    newest = body["results"][0]
    assert newest["id"] == second.pk and newest["run"] == second.run_id
    assert newest["headline"] == {"metric": "macro_f1", "value": 0.9, "split": "test"}
    assert api_client.get(body["next"]).json()["results"][0]["id"] == first.pk
    detail = api_client.get(reverse("api-model-version", args=[first.pk])).json()
    assert detail["version"] == first.version and detail["metrics"]["test"]["macro_f1"] == 0.6
    assert api_client.post(url, {}, format="json").status_code == 405  # read-only


def test_a_run_names_the_version_it_produced_in_the_api_and_the_admin(api_client, client, admin_user):
    version = ModelVersionFactory()
    unfinished = RunFactory(status=RunStatus.RUNNING)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    run = api_client.get(reverse("api-training-run", args=[version.run_id])).json()
    assert run["model_version"] == {"id": version.pk, "version": version.version}
    assert api_client.get(reverse("api-training-run", args=[unfinished.pk])).json()["model_version"] is None
    listed = api_client.get(reverse("api-project-training-runs", args=[version.project_id])).json()["results"]
    assert listed[0]["model_version"]["id"] == version.pk

    client.force_login(admin_user)
    page = client.get(reverse("admin:training_trainingrun_change", args=[version.run_id])).content.decode()
    assert f'{reverse("admin:training_modelversion_change", args=[version.pk])}">v{version.version}</a>' in page


def test_a_runs_page_refreshes_itself_until_the_run_ends(client, admin_user):
    run = RunFactory(status=RunStatus.RUNNING, progress_step=7, progress_total=20)
    client.force_login(admin_user)
    url = reverse("admin:training_trainingrun_change", args=[run.pk])
    page = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page and "step 7 of 20" in page and "35.0%" in page
    run.status = RunStatus.SUCCEEDED
    run.save()
    assert 'http-equiv="refresh"' not in client.get(url).content.decode()


def test_launching_from_the_admin_leads_to_the_runs_page(client, admin_user, category_project, tiny_base_model):
    client.force_login(admin_user)
    form = client.get(reverse("admin:training_trainingrun_add")).content.decode()
    crumbs = form.split('class="breadcrumbs"')[1].split("</div>")[0]
    assert reverse("admin:training_trainingrun_changelist") in crumbs and "Launch a fine-tuning run" in crumbs
    response = client.post(reverse("admin:training_trainingrun_add"), {
        "project": category_project.pk, "epochs": 1, "learning_rate": 0.001, "batch_size": 8, "max_length": 16,
        "seed": 13, "device": "cpu", "base_model": tiny_base_model.pk,
    })  # not committed in this test: queued, not run
    run = category_project.training_runs.get()
    assert response.url == reverse("admin:training_trainingrun_change", args=[run.pk])


# --- Who may see what -----------------------------------------------------------------------------

def _admin_pages():
    version = ModelVersionFactory()
    snapshot = SnapshotFactory(project=version.project)
    return [
        reverse("admin:training_labelexport_changelist"),
        reverse("admin:training_datasetsnapshot_add"),
        reverse("admin:training_datasetsnapshot_download", args=[snapshot.pk]),
        reverse("admin:training_modelversion_changelist"),
        reverse("admin:training_modelversion_change", args=[version.pk]),
        reverse("admin:training_trainingrun_change", args=[version.run_id]),
    ]


@pytest.mark.parametrize("persona, expected", [
    (None, 302), (AnnotatorFactory, 302), (IntegratorFactory, 302), (ReviewerFactory, 403),
])
def test_the_training_admin_pages_deny_everyone_but_admins(client, persona, expected):
    pages = _admin_pages()
    if persona:
        client.force_login(persona())
    for url in pages:
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 302:
            assert "/login/" in response.url
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_the_training_admin_pages_open_for_admins(client):
    pages = [url for url in _admin_pages() if "/download/" not in url]  # that snapshot has no files: see above
    client.force_login(AdminFactory())
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_only_admins_may_activate_through_the_admin(client):
    version = ModelVersionFactory(macro_f1=0.9)
    client.force_login(ReviewerFactory())
    assert _activate(client, version, confirmed="yes").status_code == 403
    assert not ModelVersion.objects.get(pk=version.pk).is_active


@pytest.mark.parametrize("persona, expected", [
    (None, 401), (AnnotatorFactory, 403), (ReviewerFactory, 403), (IntegratorFactory, 200), (AdminFactory, 200),
])
def test_the_model_version_api_is_for_integrators_and_admins(api_client, persona, expected):
    version = ModelVersionFactory()
    if persona:
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(persona())}")
    for url in (reverse("api-project-model-versions", args=[version.project_id]),
                reverse("api-model-version", args=[version.pk]),
                reverse("api-training-run", args=[version.run_id])):
        assert api_client.get(url).status_code == expected, url
