"""Receivers only call a service: no logic lives here."""


def worker_suspended(sender, *, worker_id, **kwargs):
    from . import assignment

    assignment.assignments_end_for_worker(worker_id=worker_id)
