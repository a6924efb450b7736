"""Who may call the API. Integrators and admins use the integrator API; annotators only the endpoints
their pages need, which say so explicitly. A read-only token is refused every unsafe method, whoever holds it.
Which objects an integrator reaches is decided by tasks.api_scoping (organisations), not here."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import API_ROLES, ApiToken, Role


def token_allows_method(request) -> bool:
    token = request.auth
    return not (isinstance(token, ApiToken) and token.read_only and request.method not in SAFE_METHODS)


class _RolePermission(BasePermission):
    roles = ()
    read_only_message = "This token is read-only."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.role in self.roles):
            return False
        if not token_allows_method(request):
            self.message = self.read_only_message
            return False
        return True


class IsIntegrator(_RolePermission):
    message = "This endpoint is for integrators and admins (token authentication)."
    roles = tuple(API_ROLES)


class ManagesApiTokens(IsIntegrator):
    """/api/tokens/: the roles of the /api-access/ page (accounts.decorators.api_user_required), which are the
    integrator API's; a read-only token lists tokens and mints or revokes none."""

    message = "API tokens are for integrators and admins: this account has no API access to manage."
    read_only_message = "This token is read-only: it can only read, so it mints and revokes no tokens."


class IsAnnotator(_RolePermission):
    message = "This endpoint is for annotators."
    roles = (Role.ANNOTATOR,)
