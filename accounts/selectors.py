"""Reads about people."""

from dataclasses import dataclass

from django.db.models import Count, Q

from .models import QualificationGrant, User, VerificationStatus, WorkerProfile


def api_token_of(*, user):
    """The user's API token, or None (DRF keeps one per user)."""
    from rest_framework.authtoken.models import Token

    return Token.objects.filter(user=user).first()


def verification_queue_counts() -> dict:
    """How many worker profiles are in each verification state (one aggregate query)."""
    counts = WorkerProfile.objects.aggregate(
        **{status: Count("pk", filter=Q(verification_status=status)) for status in VerificationStatus.values},
        suspended=Count("pk", filter=Q(suspended=True)),
    )
    return counts


@dataclass(frozen=True)
class WorkerPools:
    """The named pools a worker belongs to: their groups and the qualifications they hold."""

    group_ids: frozenset
    qualification_ids: frozenset

    def admits(self, *, group_id: int | None, qualification_id: int | None) -> bool:
        """A pool of a group and/or a qualification admits members of either; no pool at all admits everyone."""
        if not group_id and not qualification_id:
            return True
        return group_id in self.group_ids or qualification_id in self.qualification_ids


def worker_pools(*, worker: User) -> WorkerPools:
    return WorkerPools(
        group_ids=frozenset(User.groups.through.objects.filter(user_id=worker.pk).values_list("group_id", flat=True)),
        qualification_ids=frozenset(
            QualificationGrant.objects.filter(worker_id=worker.pk).values_list("qualification_id", flat=True)
        ),
    )


def worker_suspension_problem(*, worker_id: int) -> str:
    """What a suspended worker is told when they try to work ('' when they are not suspended)."""
    reason = WorkerProfile.objects.filter(user_id=worker_id, suspended=True).values_list("suspended_reason", flat=True).first()
    return "" if reason is None else f"Your account is suspended: {reason}"
