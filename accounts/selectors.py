"""Reads about people."""

from django.db.models import Count, Q

from .models import VerificationStatus, WorkerProfile


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


def worker_suspension_problem(*, worker_id: int) -> str:
    """What a suspended worker is told when they try to work ('' when they are not suspended)."""
    reason = WorkerProfile.objects.filter(user_id=worker_id, suspended=True).values_list("suspended_reason", flat=True).first()
    return "" if reason is None else f"Your account is suspended: {reason}"
