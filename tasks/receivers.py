"""Receivers only call a service: no logic lives here."""


def worker_suspended(sender, *, worker_id, **kwargs):
    from . import assignment

    assignment.assignments_end_for_worker(worker_id=worker_id)


def qualification_revoked(sender, *, qualification_id, worker_ids, **kwargs):
    from . import assignment

    assignment.assignments_end_outside_pools(worker_ids=worker_ids, qualification_id=qualification_id)
