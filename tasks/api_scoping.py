"""Organisation scoping for the integrator API, in one place: every integrator endpoint (tasks, annotations,
quality, training) finds its objects through `ScopedApi`, so integrator B gets 404 (never 403: that would say
the object exists) for anything of A's organisation, and lists never hold A's rows."""

from rest_framework.exceptions import NotFound

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
