from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .models import API_ROLES, Role


def api_user_required(view):
    """Pages for API users: log-in required; integrators and admins, as the API itself (IsIntegrator)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role not in API_ROLES:
            raise PermissionDenied("This page is for integrators: API access is not part of this account.")
        return view(request, *args, **kwargs)

    return wrapper


def integrators_to_api_access(view):
    """The site's start page sends integrators to their API access page: logging in (from `/` or not) lands
    there, where a bare 403 left them with no way to find their token."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role == Role.INTEGRATOR:
            return redirect("api_access")
        return view(request, *args, **kwargs)

    return wrapper


def annotator_required(view):
    """Annotator pages: log-in required; integrators (API only) are refused. Admins and reviewers may look
    (to support annotators), but only annotators hold a worker profile."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role == Role.INTEGRATOR:
            raise PermissionDenied("Integrator accounts use the API only.")
        if request.user.role == Role.ANNOTATOR and not hasattr(request.user, "worker_profile"):
            raise PermissionDenied("This account has no worker profile.")
        return view(request, *args, **kwargs)

    return wrapper


def worker_profile_required(view):
    """Pages about the worker's own profile (verification): annotators only. Admins and reviewers, whom
    annotator_required lets look at the workspace, have no profile to show: 403 with where to go instead."""

    @wraps(view)
    @annotator_required
    def wrapper(request, *args, **kwargs):
        if not hasattr(request.user, "worker_profile"):
            raise PermissionDenied("This page is for annotators: staff accounts have no worker profile.")
        return view(request, *args, **kwargs)

    return wrapper
