"""Organisation scoping for the staff admin: reviewers and project managers see and act on the projects of
their organisations only (tasks.selectors.projects_visible_to, the API's question too); superusers see all."""

from django.contrib import admin

from accounts.models import MembershipRole

from . import selectors

STAFF_ROLES = [MembershipRole.REVIEWER, MembershipRole.PROJECT_MANAGER]


class OrganisationScopedAdmin:
    """A ModelAdmin mixin. `project_lookup` reaches the row's project ("pk" for projects themselves). A
    project filter in the sidebar lists only the projects in view, not every tenant's titles."""

    project_lookup = "project"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = selectors.projects_visible_to(user=request.user, roles=STAFF_ROLES).values("pk")
        return queryset.filter(**{f"{self.project_lookup}__in": visible})

    def get_list_filter(self, request):
        return [(name, admin.RelatedOnlyFieldListFilter) if name == "project" else name
                for name in super().get_list_filter(request)]
