"""Token authentication for the API: DRF's check, in one statement that also reads the worker profile.

Every annotator request on the assignment path needs the user and their worker profile (suspension,
verification, weight); reading both with the token saves a query on each of them."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from core import rawsql

from .models import User, WorkerProfile


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        widths = (len(Token._meta.concrete_fields), len(User._meta.concrete_fields))
        found = rawsql.rows(
            f"SELECT {rawsql.columns(Token, 't')}, {rawsql.columns(User, 'u')}, {rawsql.columns(WorkerProfile, 'p')} "
            f"FROM {Token._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
            f"LEFT JOIN {WorkerProfile._meta.db_table} p ON p.user_id = u.id WHERE t.key = %s",
            [key],
        )
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = found[0]
        token = rawsql.instance(Token, row[: widths[0]])
        token.user = user = rawsql.instance(User, row[widths[0]: sum(widths)])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if row[sum(widths)] is not None:  # annotators have a profile; the other roles do not
            user.worker_profile = rawsql.instance(WorkerProfile, row[sum(widths):])
        return user, token
