"""`make run`'s two Celery workers, as real processes: a fine-tuning run that holds the `training` worker
does not hold up quality control, which the other worker keeps doing."""

import os
import random
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from annotations.services import annotation_submit
from crowdlabel.workers import worker_argv
from tasks import assignment as assignment_service
from tasks.models import Item, ItemState, ProjectStatus
from tests.processes import stop_and_print
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker
from tests.training.conftest import category_project, tiny_base_model  # noqa: F401 - fixtures used below
from training import services as training_services
from training.models import RunStatus, TrainingRun

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.real_broker]


def wait_for(condition, *, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def run_workers(transactional_db, settings):
    """The two workers `make run` starts (crowdlabel.workers), pointed at the test database so they see
    committed rows, and at this test's training folder."""
    db = connection.settings_dict
    env = dict(os.environ, TRAINING_DIR=str(settings.TRAINING_DIR), OMP_NUM_THREADS="1",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
    workers = {
        queue: subprocess.Popen(worker_argv(queue, node=f"test-{queue}-{os.getpid()}@%h"), cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for queue in ("celery", "training")
    }
    yield workers
    # A warm shutdown waits for the task in hand: stop the run first, or the training worker never exits.
    TrainingRun.objects.filter(status=RunStatus.RUNNING).update(cancel_requested=True)
    stop_and_print(workers)


def answer(worker, project, label):
    assignment = assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(1)).assignment
    annotation_submit(worker=worker, assignment_id=assignment.pk, answer=label)  # autocommit: on_commit runs now


def test_items_are_decided_while_a_training_run_holds_the_training_worker(
        run_workers, category_project, tiny_base_model):
    # A run far longer than the test: it holds the training worker until it is cancelled.
    run = training_services.training_run_launch(
        project=category_project, base_model=tiny_base_model, epochs=30_000, batch_size=8, max_length=16,
        device="cpu",
    )
    wait_for(lambda: TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, progress_step__gt=0).exists(),
             timeout=120, what="the training worker to start the run")

    # Three agreeing workers with no track record are worth about 0.94 once calibrated: accept at 0.9.
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3, max_overlap=3,
                             accept_confidence=0.9)
    item = ItemFactory(project=project)
    for _ in range(3):
        answer(verified_worker(), project, "TV")

    # The submissions enqueue an evaluation on the `celery` queue; its worker decides the item.
    wait_for(lambda: Item.objects.filter(pk=item.pk, state=ItemState.ACCEPTED).exists(),
             timeout=60, what="the item to be decided while the run trains")
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING, "the run ended before the item was decided: the test proved nothing"
    assert item.decision.label == "TV"

    training_services.training_run_cancel(run=run)
    wait_for(lambda: TrainingRun.objects.filter(pk=run.pk, status=RunStatus.CANCELLED).exists(),
             timeout=60, what="the run to stop when cancelled")
    assert all(worker.poll() is None for worker in run_workers.values()), "a worker process died"
