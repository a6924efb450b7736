"""Token authentication for the API: DRF's header (`Authorization: Token <key>`), checked against the named,
revocable tokens of `ApiToken`, in one statement that also reads the user and their worker profile.

Every annotator request on the assignment path needs the user and their worker profile (suspension,
verification, weight); reading all three with the token saves a query on each of them. The token's last use
is written at most once a minute, so the hot path does not write a row on every request."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core import rawsql

from .models import ApiToken, User, WorkerProfile
from .tokens import key_hash

LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuthentication(authentication.TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        widths = (len(ApiToken._meta.concrete_fields), len(User._meta.concrete_fields))
        found = rawsql.rows(
            f"SELECT {rawsql.columns(ApiToken, 't')}, {rawsql.columns(User, 'u')}, {rawsql.columns(WorkerProfile, 'p')} "
            f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {WorkerProfile._meta.db_table} p ON p.user_id = u.id "
            "WHERE t.key_hash = %s AND t.revoked_at IS NULL",
            [key_hash(key)],
        )
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = found[0]
        token = rawsql.instance(ApiToken, row[: widths[0]])
        token.user = user = rawsql.instance(User, row[widths[0]: sum(widths)])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if row[sum(widths)] is not None:  # annotators have a profile; the other roles do not
            user.worker_profile = rawsql.instance(WorkerProfile, row[sum(widths):])
        _mark_used(token)
        return user, token


def _mark_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        # Conditional, so that concurrent requests write it once.
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).exclude(
            last_used_at__gt=now - LAST_USED_PRECISION).update(last_used_at=now)
        token.last_used_at = now
