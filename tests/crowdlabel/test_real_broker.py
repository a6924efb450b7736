"""A task through the real Redis broker to a real Celery worker process, reading the test database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.celery_tasks import verification_queue_report
from tests.factories import pending_profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_worker(transactional_db):
    """A `celery worker` process of its own, pointed at the test database so it sees committed rows."""
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crowdlabel", "worker", "--pool=solo", "--loglevel=INFO",
         "-Q", "celery", "-n", f"test-worker-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    yield worker
    worker.terminate()
    output, _ = worker.communicate(timeout=30)
    print(output)


@pytest.mark.postgres
@pytest.mark.real_broker
def test_a_task_goes_through_redis_to_a_real_worker_and_returns_its_result(real_worker):
    pending_profile()
    pending_profile()
    pending_profile()

    result = verification_queue_report.apply_async()
    counts = result.get(timeout=60)

    assert counts["pending"] == 3
    assert result.successful()
    assert real_worker.poll() is None, "the worker process died"
