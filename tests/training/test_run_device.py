"""The run's page says what device "auto" became, as it does for the precision (user trial): the Device row read
"auto auto (CUDA with mixed precision when available), cpu or cuda." (the value, then the field's help text)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from tests.factories import IntegratorFactory, token_for
from tests.training.factories import ModelVersionFactory, RunFactory
from tests.training.test_run_page_states import _field, _page
from training import selectors, services
from training.models import RunStatus, TrainingRun

HELP_TEXT = TrainingRun._meta.get_field("device").help_text


@pytest.mark.django_db
@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_before_its_processes_start_the_page_says_auto_is_decided_at_start(client, admin_user, status):
    page = _page(client, admin_user, RunFactory(status=status))
    assert "auto (decided at start)" in _field(page, "Device") and "auto (decided at start)" in _field(page, "Precision")
    assert HELP_TEXT not in page


@pytest.mark.django_db
def test_once_they_started_the_page_says_what_auto_became(client, admin_user):
    page = _page(client, admin_user, RunFactory(status=RunStatus.RUNNING, device_used="cpu", precision_used="fp32"))
    assert "auto → cpu" in _field(page, "Device") and "auto → fp32" in _field(page, "Precision")
    assert HELP_TEXT not in page


@pytest.mark.parametrize("asked, used, processes, status, says", [
    ("auto", "", 1, RunStatus.QUEUED, "auto (decided at start)"),
    ("auto", "cpu", 1, RunStatus.RUNNING, "auto → cpu"),
    ("auto", "cuda", 1, RunStatus.SUCCEEDED, "auto → cuda"),
    ("auto", "", 1, RunStatus.FAILED, "auto (not recorded)"),
    ("cuda", "", 2, RunStatus.QUEUED, "cuda (2 processes)"),
    ("cuda", "cuda", 2, RunStatus.SUCCEEDED, "cuda (2 processes)"),
    ("auto", "cuda", 4, RunStatus.RUNNING, "auto → cuda (4 processes)"),
])
def test_the_device_says_what_auto_became(asked, used, processes, status, says):
    run = TrainingRun(device=asked, device_used=used, processes=processes, status=status)
    assert selectors.run_device(run) == says


@pytest.mark.django_db
def test_a_resumed_run_forgets_the_device_of_its_failed_attempt(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.TRAINING_DIR = str(tmp_path)
    run = RunFactory(status=RunStatus.FAILED, device_used="cuda", precision_used="bf16")
    with django_capture_on_commit_callbacks():
        services.training_run_resume(run=run)
    run.refresh_from_db()
    assert (run.device_used, run.precision_used) == ("", "")


@pytest.mark.django_db
def test_runs_that_succeeded_before_the_field_show_the_device_their_result_kept():
    kept = RunFactory(metrics={"device": "cuda", "precision": "bf16", "steps": 3})
    unknown = RunFactory(status=RunStatus.FAILED, metrics={})
    importlib.import_module("training.migrations.0009_run_device_used").device_used_from_results(apps, None)
    assert TrainingRun.objects.get(pk=kept.pk).device_used == "cuda"
    assert TrainingRun.objects.get(pk=unknown.pk).device_used == ""


@pytest.mark.django_db
def test_versions_side_by_side_compare_the_device_used():
    version = ModelVersionFactory(run__device_used="cpu")
    assert selectors.version_comparison_rows(version)["device"] == "auto → cpu"


@pytest.mark.django_db
def test_the_api_gives_what_the_run_asked_for_and_what_it_used(api_client):
    queued = RunFactory(status=RunStatus.QUEUED)
    started = RunFactory(status=RunStatus.RUNNING, device_used="cpu", precision_used="fp32")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    body = api_client.get(reverse("api-training-run", args=[started.pk])).json()
    assert (body["device"], body["device_used"], body["precision"], body["precision_used"]) == ("auto", "cpu", "auto", "fp32")
    body = api_client.get(reverse("api-training-run", args=[queued.pk])).json()
    assert (body["device_used"], body["precision_used"]) == ("", "")
