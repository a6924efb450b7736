"""Who may call the API. Integrators and admins use the integrator API; annotators only the endpoints
their pages need, which say so explicitly."""

from rest_framework.permissions import BasePermission

from .models import Role


class IsIntegrator(BasePermission):
    message = "This endpoint is for integrators and admins (token authentication)."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role in (Role.INTEGRATOR, Role.ADMIN))


class IsAnnotator(BasePermission):
    message = "This endpoint is for annotators."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role == Role.ANNOTATOR)
