"""Fine-tuning runs through the real Celery task, the real snapshot code and a tiny local BERT (seconds)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from tasks.models import ProjectStatus
from tests.factories import AnnotatorFactory, IntegratorFactory, token_for
from tests.tasks.factories import ProjectFactory
from tests.training.tiny_models import FILLERS, WORDS, accepted, launch, process_alive
from training import selectors, services
from training.models import ModelVersion, RunStatus, TrainingRun

ROOT = Path(__file__).resolve().parents[2]
@pytest.mark.django_db
def test_a_sequence_run_trains_through_the_celery_task(category_project, tiny_base_model, django_capture_on_commit_callbacks):
    run = launch(category_project, tiny_base_model, django_capture_on_commit_callbacks)

    assert run.status == RunStatus.SUCCEEDED, run.log
    assert run.progress_total > 0 and run.progress_step == run.progress_total
    test = run.metrics["metrics"]["test"]
    assert {"accuracy", "macro_f1", "per_label"} <= set(test)
    assert test["accuracy"] >= 0.5  # three classes: a model that learned nothing sits near a third
    manifest = run.snapshot.manifest
    assert manifest["items"] == 60 and manifest["project"]["id"] == category_project.pk
    version = ModelVersion.objects.get(run=run)
    assert version.version == 1 and (Path(version.folder) / "config.json").exists()
    # The curves: training losses, and a validation figure at each epoch's checkpoint.
    assert sum("loss" in row for row in run.history) >= 2
    assert sum("validation_score" in row for row in run.history) == run.epochs
    # What "auto" became, said by the training processes when they started and recorded for the run's page.
    started = json.loads((selectors.run_folder(run) / "job" / "started.json").read_text())
    assert run.precision_used == started["precision"] in ("fp32", "bf16", "fp16")
    assert run.device_used == started["device"] in ("cpu", "cuda")
    assert started["device"] != "cpu" or started["precision"] == "fp32"


@pytest.mark.django_db
def test_a_token_run_trains_on_span_labels(tiny_base_model, django_capture_on_commit_callbacks):
    project = ProjectFactory(span=True, status=ProjectStatus.PUBLISHED, labels=["colour", "product"])
    for n in range(40):
        colour, product = FILLERS[2 + n % 2], list(WORDS)[n % 3]
        text = f"{colour} {product} {FILLERS[n % 2]}"
        accepted(project, {"text": text}, [{"start": 0, "end": len(colour), "label": "colour"},
                                           {"start": len(colour) + 1, "end": len(colour) + 1 + len(product), "label": "product"}])
    run = launch(project, tiny_base_model, django_capture_on_commit_callbacks, epochs=8)

    assert run.task == "token" and run.status == RunStatus.SUCCEEDED, run.log
    assert {"precision", "recall", "f1"} <= set(run.metrics["metrics"]["test"])
    assert ModelVersion.objects.filter(run=run, task="token").exists()


@pytest.mark.django_db
def test_too_few_accepted_labels_refuse_a_run():
    project = ProjectFactory()
    with pytest.raises(services.TrainingError, match="at least 3"):
        services.training_run_launch(project=project)


@pytest.mark.django_db
def test_cancelling_a_queued_run_stops_it_before_it_starts(category_project, tiny_base_model):
    run = services.training_run_launch(project=category_project, base_model=tiny_base_model)  # not committed: not enqueued
    services.training_run_cancel(run=run)
    assert services.training_run_execute(run_id=run.pk).status == RunStatus.CANCELLED
    assert not ModelVersion.objects.exists()


@pytest.mark.django_db
def test_a_running_run_asked_to_stop_is_cancelled(category_project, tiny_base_model, django_capture_on_commit_callbacks):
    stop = services._stop_checker
    # Ask to stop as soon as training polls: the flag is set from inside the run.
    def stop_now(run_id, every=1):
        TrainingRun.objects.filter(pk=run_id).update(cancel_requested=True)
        return stop(run_id, every=1)
    services._stop_checker = stop_now
    try:
        run = launch(category_project, tiny_base_model, django_capture_on_commit_callbacks)
    finally:
        services._stop_checker = stop
    assert run.status == RunStatus.CANCELLED and "cancelled" in run.log
    assert not ModelVersion.objects.exists()


@pytest.mark.django_db
def test_predictions_over_the_api_from_the_active_model(api_client, category_project, tiny_base_model,
                                                       django_capture_on_commit_callbacks):
    run = launch(category_project, tiny_base_model, django_capture_on_commit_callbacks)
    url = reverse("api-project-predict", args=[category_project.pk])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    assert api_client.post(url, {"texts": ["new phone"]}, format="json").status_code == 409  # none active yet
    api_client.post(reverse("api-model-activate", args=[run.model_version.pk]))

    response = api_client.post(url, {"texts": ["cheap phone case", "big television", "red fridge"]}, format="json")
    body = response.json()
    assert response.status_code == 200 and body["model_version"] == 1
    assert body["backend"] == "torch"  # no ONNX export in the tests' runs (conftest): PyTorch answered, and says so
    assert [p["label"] for p in body["predictions"]] == ["phone", "tv", "fridge"]
    assert all(0 <= p["score"] <= 1 for p in body["predictions"])

    api_client.credentials()
    assert api_client.post(url, {"texts": ["x"]}, format="json").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AnnotatorFactory())}")
    assert api_client.post(url, {"texts": ["x"]}, format="json").status_code == 403


@pytest.mark.django_db
def test_a_stalled_run_is_marked_failed(category_project, tiny_base_model, settings):
    run = services.training_run_launch(project=category_project, base_model=tiny_base_model)
    old = "2020-01-01T00:00:00Z"
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, heartbeat_at=old, worker="gpu-1")
    assert services.training_runs_fail_stalled() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "gpu-1 stopped reporting" in run.log


@pytest.mark.postgres
@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_leaves_its_run_marked_failed(category_project, tiny_base_model, settings):
    """A real `celery worker -Q training` process is killed with SIGKILL in the middle of a run."""
    db = connection.settings_dict
    env = dict(os.environ, DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
               TRAINING_DIR=str(settings.TRAINING_DIR), OMP_NUM_THREADS="1")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crowdlabel", "worker", "--pool=solo", "-Q", "training",
         "-n", f"train-{os.getpid()}@%h"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        run = services.training_run_launch(project=category_project, base_model=tiny_base_model, epochs=500,
                                           batch_size=4, max_length=16, device="cpu")
        deadline = time.time() + 120
        while time.time() < deadline:
            run.refresh_from_db()
            if run.status == RunStatus.RUNNING and run.progress_step > 0:
                break
            time.sleep(0.5)
        assert run.status == RunStatus.RUNNING and run.progress_step > 0
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        _drop_orphaned_sessions()
    # The training processes notice their caller is gone at their next step and end: no orphan trains on.
    agent = int((selectors.run_folder(run) / "job" / "torchrun.pid").read_text())
    deadline = time.time() + 60
    while process_alive(agent) and time.time() < deadline:
        time.sleep(0.2)
    assert not process_alive(agent)
    settings.TRAINING_STALL_SECONDS = 1
    time.sleep(1.5)
    assert services.training_runs_fail_stalled() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "stopped reporting" in run.log
    assert json.dumps(run.metrics) == "{}"


def _drop_orphaned_sessions():
    """The killed worker's database session may linger until PostgreSQL notices; end it now so the test
    database can be dropped at the end of the run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.django_db
def test_a_run_names_a_registered_base_model_never_a_path(category_project, tiny_base_model):
    with pytest.raises(services.TrainingError, match="registered base model"):
        services.training_run_launch(project=category_project, base_model="../../../etc")
    with pytest.raises(services.TrainingError, match="absolute"):
        services.base_model_register(name="sneaky", folder="../../..")
    with pytest.raises(services.TrainingError, match="no config.json"):
        services.base_model_register(name="root", folder="/")
    run = services.training_run_launch(project=category_project)  # none named: the packaged MiniLM
    assert run.base_model.name == "all-MiniLM-L6-v2 (packaged)" and run.base_model.licence == "Apache-2.0"
    assert run.base_model.size_bytes > 80_000_000


@pytest.mark.django_db
def test_a_failed_run_is_resumed_and_a_succeeded_one_is_not(category_project, tiny_base_model, django_capture_on_commit_callbacks):
    run = services.training_run_launch(project=category_project, base_model=tiny_base_model)
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    with django_capture_on_commit_callbacks() as enqueued:
        resumed = services.training_run_resume(run=run)
    assert resumed.status == RunStatus.QUEUED and "relaunched" in resumed.log and len(enqueued) == 1
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    with pytest.raises(services.TrainingError, match="only a failed run"):
        services.training_run_resume(run=resumed)
