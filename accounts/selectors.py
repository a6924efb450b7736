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
