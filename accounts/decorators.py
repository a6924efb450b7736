from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Role


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
