"""Periodic jobs that have nothing to do say nothing; other tasks and every failure still show."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import beat
from celery.app import trace

from accounts.celery_tasks import verification_queue_report
from tasks.celery_tasks import expire_leases, vacuum_hot_tables
from tests.factories import pending_profile
from training.celery_tasks import check_stalled, launch_due

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PERIODIC = "tasks.vacuum_hot_tables"


def celery_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name.startswith("celery")]


def test_celerys_lines_about_a_periodic_job_are_dropped(caplog):
    caplog.set_level(logging.INFO)
    # The calls Celery itself makes: beat sends the job, the worker receives and runs it.
    beat.info("Scheduler: Sending due task %s (%s)", "tasks: vacuum the item and assignment tables", PERIODIC)
    trace.info(trace.LOG_RECEIVED, {"id": "1", "name": PERIODIC, "args": "()", "kwargs": "{}"})
    trace.info(trace.LOG_SUCCESS, {"id": "1", "name": PERIODIC, "return_value": "[]", "runtime": 0.01})
    assert celery_lines(caplog) == []


def test_celerys_lines_about_other_tasks_and_failures_still_show(caplog):
    caplog.set_level(logging.INFO)
    trace.info(trace.LOG_SUCCESS, {"id": "2", "name": "training.run", "return_value": "{}", "runtime": 0.1})
    beat.info("Scheduler: Sending due task %s (%s)", "cleanup", "celery.backend_cleanup")
    trace.info(trace.LOG_RETRY, {"id": "3", "name": PERIODIC, "exc": "OperationalError()"})
    logging.getLogger("celery.app.trace").error(trace.LOG_FAILURE, {
        "id": "4", "name": PERIODIC, "description": "raised unexpected", "exc": "OperationalError()"})
    assert celery_lines(caplog) == [
        "Task training.run[2] succeeded in 0.1s: {}",
        "Scheduler: Sending due task cleanup (celery.backend_cleanup)",
        "Task tasks.vacuum_hot_tables[3] retry: OperationalError()",
        "Task tasks.vacuum_hot_tables[4] raised unexpected: OperationalError()",
    ]


@pytest.mark.parametrize("job", [verification_queue_report, expire_leases, vacuum_hot_tables, check_stalled, launch_due])
def test_a_periodic_job_with_nothing_to_do_logs_nothing(caplog, job):
    caplog.set_level(logging.DEBUG)
    job.apply()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []


def test_the_verification_report_speaks_when_annotators_wait(caplog):
    caplog.set_level(logging.INFO)
    pending_profile()
    verification_queue_report.apply()
    assert [r.getMessage() for r in caplog.records] == [
        "verification queue: 1 pending, 0 verified, 0 rejected, 0 suspended"]



def _stderr_of_django_logging(snippet):
    """What the configured logging prints (a fresh interpreter: pytest holds this one's stderr)."""
    code = "import django, logging, sys; django.setup(); from django.core.exceptions import PermissionDenied\n" + snippet
    env = {"PATH": os.environ.get("PATH", ""), "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "crowdlabel.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_a_refused_page_logs_one_line_without_a_traceback():
    # As django.utils.log.log_response logs a 403: a warning with the exception attached.
    err = _stderr_of_django_logging(
        "try:\n    raise PermissionDenied('no')\n"
        "except PermissionDenied:\n    logging.getLogger('django.request').warning('Forbidden: /x', exc_info=sys.exc_info())"
    )
    assert err.count("Forbidden: /x") == 1
    assert "Traceback" not in err


def test_a_failing_page_still_logs_its_traceback_once():
    err = _stderr_of_django_logging(
        "try:\n    1 / 0\n"
        "except ZeroDivisionError:\n    logging.getLogger('django.request').error('Internal Server Error: /x', exc_info=True)"
    )
    assert err.count("Internal Server Error: /x") == 1
    assert err.count("Traceback") == 1 and "ZeroDivisionError" in err


def test_runserver_request_lines_keep_their_time_and_show_once():
    err = _stderr_of_django_logging(
        "logging.getLogger('django.server').info('\"%s\" %s %s', 'GET / HTTP/1.1', '200', '10',"
        " extra={'status_code': 200, 'request': None})"
    )
    assert err.count('"GET / HTTP/1.1" 200 10') == 1
    assert err.startswith("[")  # Django's server format: [date] "request" status size
