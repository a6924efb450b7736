"""Receivers only call a service: no logic lives here."""


def worker_suspended(sender, *, worker_id, **kwargs):
    from . import assignment

    assignment.assignments_end_for_worker(worker_id=worker_id)


def qualification_revoked(sender, *, qualification_id, worker_ids, **kwargs):
    from . import assignment

    assignment.assignments_end_outside_pools(worker_ids=worker_ids, qualification_id=qualification_id)


def group_membership_changed(sender, *, instance, action, reverse, pk_set, **kwargs):
    """Someone left a group (`user.groups` or `group.user_set`: remove or clear): its pools end their work, as a
    revoked qualification does. pk_set is None after a clear: every group of the user, every member of the group."""
    if action not in ("post_remove", "post_clear"):
        return
    from . import assignment

    if reverse:  # group.user_set.remove(...) / .clear(): the instance is the group, pk_set the workers
        assignment.assignments_end_outside_pools(group_ids=[instance.pk], worker_ids=pk_set)
    else:  # user.groups.remove(...) / .clear(): the instance is the worker, pk_set the groups
        assignment.assignments_end_outside_pools(group_ids=pk_set, worker_ids=[instance.pk])
