"""Organisation scoping for the integrator API, in one place: every integrator endpoint (tasks, annotations,
quality, training) finds its objects through `ScopedApi`, so integrator B gets 404 (never 403: that would say
the object exists) for anything of A's organisation, and lists never hold A's rows."""

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from accounts import selectors as account_selectors
from accounts.models import Organisation

from . import selectors
from .models import Project


class ScopedApi:
    """A mixin for APIViews. `project_get(pk)` or `scoped(queryset)`, never a bare `get_object_or_404`."""

    def projects(self):
        return selectors.projects_visible_to(user=self.request.user, token=self.request.auth)

    def project_get(self, pk, queryset=None) -> Project:
        project = (queryset if queryset is not None else Project.objects).filter(
            pk=pk, pk__in=self.projects().values("pk")).first()
        if project is None:
            raise NotFound()
        return project

    def scoped(self, queryset, *, through: str = "project"):
        """The rows of `queryset` whose project (reached by the lookup `through`) the caller may act on."""
        return queryset.filter(**{f"{through}__in": self.projects().values("pk")})

    def scoped_get(self, queryset, pk, *, through: str = "project"):
        found = self.scoped(queryset, through=through).filter(pk=pk).first()
        if found is None:
            raise NotFound()
        return found

    def organisations(self):
        """The organisations whose own settings (webhook endpoints) the caller manages: those they are a
        member of (every one for superusers). A token limited to one project acts on that project alone, so
        it manages none of them (403, as when it tries to create a project)."""
        if getattr(self.request.auth, "project_id", None) is not None:
            raise PermissionDenied("This token is limited to one project: it cannot manage its organisation.")
        organisation_ids = account_selectors.organisation_ids_of(user=self.request.user)
        organisations = Organisation.objects.all()
        return organisations if organisation_ids is None else organisations.filter(pk__in=organisation_ids)

    def organisation_for_new(self, slug: str | None) -> Organisation:
        """Where something the caller creates goes: the organisation they name by slug, else their only one.
        One that does not exist and one of another tenant get the same answer, so the API tells no one which
        organisations exist."""
        if slug:
            organisation = selectors.organisation_of(user=self.request.user, slug=slug)
            if organisation is None:
                raise ValidationError({"organisation": f"You are not a member of an organisation “{slug}”."})
            return organisation
        organisation = account_selectors.organisation_for_new_project(user=self.request.user)
        if organisation is None:
            raise ValidationError({"organisation": "Name the organisation (its slug): you are a member of several, "
                                                   "or of none."})
        return organisation
