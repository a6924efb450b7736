"""Failed log-ins, counted in the shared cache with allauth's own limiter and settings (ACCOUNT_RATE_LIMITS
"login_failed"), so the annotator pages and /admin/login/ count against one lock per account and address,
whichever server process answers."""

from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
# allauth's internal consume() returns the usage, which a successful log-in rolls back (as allauth's own log-in
# does): the public one returns a bare bool, and then an admin's every successful log-in would count too.
from allauth.core.internal import ratelimit as allauth_ratelimit

from .models import User


def login_attempt_key(request, *, login: str) -> str:
    """The account's key as allauth forms it for its log-in form (site and e-mail): the admin's form takes a
    username, which is mapped to the account's e-mail so both forms lock the same account."""
    user = User.objects.filter(username=login).only("email").first() if "@" not in login else None
    login = (user.email if user and user.email else login).lower()
    return f"{get_current_site(request).domain}:{login}"


def login_attempt_start(request, *, login: str):
    """Count one log-in attempt for the account and the address: the usage (roll it back when the log-in
    succeeds), or None when either is locked."""
    return allauth_ratelimit.consume(
        request, app="allauth.account", action="login_failed", key=login_attempt_key(request, login=login)
    )


def login_locked_response(request):
    """429 with Retry-After: the lock lasts at most LOGIN_LOCKOUT_SECONDS from the oldest counted failure."""
    response = allauth_ratelimit.respond_429(request)
    response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
    return response
