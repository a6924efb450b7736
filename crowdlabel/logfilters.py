"""Logging filters (settings.LOGGING).

Celery writes three INFO lines for every run of a periodic job: beat's "Sending due task", the worker's
"received" and "succeeded". With the vacuum job every 10 s and five others every minute, `make run` printed
20-30 such lines a minute while nothing happened, and the admin password scrolled away under them. Each
periodic job logs one line of its own when it did something; Celery's lines about them are dropped.
Evaluations are as quiet: one runs after every submission and most decide nothing yet, so Celery's two lines
about each buried the ones that mattered; an evaluation logs one line of its own when it decided items.
Failures and retries (ERROR, WARNING, and the retry line) still show, and so do the lines of every other task
(fine-tuning runs).
"""

import logging

from celery.app.trace import LOG_RECEIVED, LOG_SUCCESS
from django.core.exceptions import PermissionDenied

QUIET_TASKS = frozenset({"quality.evaluate_project"})  # quiet like the periodic jobs, though not one of them


class QuietPeriodicJobs(logging.Filter):
    """`task_names`: the periodic jobs' task names; by default those the apps declare (core.periodic), read
    at the first record, since logging is configured before the apps are loaded."""

    def __init__(self, task_names=None):
        super().__init__()
        self._task_names = None if task_names is None else frozenset(task_names)

    @property
    def task_names(self) -> frozenset:
        if self._task_names is None:
            from core.periodic import declared_periodic_tasks

            self._task_names = frozenset(task for task, _every in declared_periodic_tasks().values()) | QUIET_TASKS
        return self._task_names

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        if record.msg in (LOG_RECEIVED, LOG_SUCCESS):  # celery.app.trace and celery.worker.strategy
            return record.args.get("name") not in self.task_names
        if record.name == "celery.beat" and str(record.msg).startswith("Scheduler: Sending due task"):
            return record.args[1] not in self.task_names  # (entry name, task name)
        return True


class RefusalsWithoutTraceback(logging.Filter):
    """A refused page (403) is the permission rules at work, not a fault: its "Forbidden" line stays, the
    traceback Django attaches to it (twenty lines for every refusal) goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = record.exc_text = None
        return True
