"""Organisation scoping for the staff admin: reviewers and project managers see and act on the projects of
their organisations only (tasks.selectors.projects_visible_to, the API's question too); superusers see all."""

from django import forms
from django.contrib import admin
from django.db.models import Exists, OuterRef

from accounts.models import MembershipRole

from . import selectors
from .models import Project

STAFF_ROLES = [MembershipRole.REVIEWER, MembershipRole.PROJECT_MANAGER]


def projects_in_view(user):
    """The projects a member of staff sees and acts on in the admin (all of them for superusers)."""
    return selectors.projects_visible_to(user=user, roles=STAFF_ROLES)


class ProjectPickerForm(forms.Form):
    """An admin form that starts from a project: it offers (and accepts) only the projects in view."""

    project = forms.ModelChoiceField(queryset=Project.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects_in_view(user)


class ProjectsWithRowsFilter(admin.RelatedFieldListFilter):
    """The project filter of a table of millions (feedback events): the projects in view that have rows in it,
    each asked with EXISTS, one probe of an index that starts with the project. RelatedOnlyFieldListFilter asks
    for the DISTINCT projects of the rows in view: a scan of the whole table on every page of the list."""

    def field_choices(self, field, request, model_admin):
        rows = model_admin.model._default_manager.filter(**{self.field_path: OuterRef("pk")})
        projects = projects_in_view(request.user).filter(Exists(rows)).order_by("title")
        return [(project.pk, str(project)) for project in projects]


class OrganisationScopedAdmin:
    """A ModelAdmin mixin. `project_lookup` reaches the row's project ("pk" for projects themselves). A
    project filter in the sidebar lists only the projects in view, not every tenant's titles
    (`project_list_filter`: ProjectsWithRowsFilter for a table of millions)."""

    project_lookup = "project"
    project_list_filter = admin.RelatedOnlyFieldListFilter

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = projects_in_view(request.user).values("pk")
        return queryset.filter(**{f"{self.project_lookup}__in": visible})

    def get_list_filter(self, request):
        return [(name, self.project_list_filter) if name == "project" else name
                for name in super().get_list_filter(request)]
