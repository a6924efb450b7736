from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin_mixins import ReadOnlyAdmin
from tasks.admin_scoping import OrganisationScopedAdmin, ProjectPickerForm
from training import downloads, snapshots
from training.models import DatasetSnapshot, LabelExport, TrainingPolicy


class SnapshotForm(ProjectPickerForm):
    mask = forms.BooleanField(required=False, label="Mask emails and phone numbers")


class ExportForm(SnapshotForm):
    format = forms.ChoiceField(choices=downloads.EXPORT_FORMATS)


def form_page(admin_view, request, form, title):
    context = {**admin_view.admin_site.each_context(request), "opts": admin_view.model._meta, "form": form, "title": title}
    return TemplateResponse(request, "admin/training/launch.html", context)


@admin.register(DatasetSnapshot)
class DatasetSnapshotAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    list_display = ["__str__", "project", "item_count", "masked_personal_data", "download", "created_at"]
    list_filter = ["project"]
    list_select_related = ["project"]
    fields = ["project", "item_count", "masked_personal_data", "download", "load_with", "manifest", "created_by", "created_at"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/download/", download, name="training_datasetsnapshot_download")] + super().get_urls()

    @admin.display(description="Hugging Face dataset")
    def download(self, snapshot):
        url = reverse("admin:training_datasetsnapshot_download", args=[snapshot.pk])
        return format_html('<a href="{}">Download (zip)</a>', url)

    @admin.display(description="Load on this server with")
    def load_with(self, snapshot):
        from training.ml.datasets import DATA_FOLDER

        # The snapshot's own folder holds manifest.json beside the data; the zip's top folder is the data.
        return format_html('<code>datasets.load_from_disk("{}/{}")</code>', snapshot.folder, DATA_FOLDER)

    def add_view(self, request, form_url="", extra_context=None):
        """Make a snapshot on its own, without launching a run."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SnapshotForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                snapshot = snapshots.snapshot_create(project=form.cleaned_data["project"], created_by=request.user,
                                                     mask=form.cleaned_data["mask"])
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Made {snapshot}.", messages.SUCCESS)
                return redirect("admin:training_datasetsnapshot_change", snapshot.pk)
        return form_page(self, request, form, "Make a dataset snapshot")

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return downloads.snapshot_response(request, get_object_or_404(self.get_queryset(request), pk=pk))


@admin.register(LabelExport)
class LabelExportAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """The export page, listed in the navigation as "Export labels": its list page is the export form."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("training.view_datasetsnapshot")

    def get_urls(self):
        return [path("", self.admin_site.admin_view(self.changelist_view), name="training_labelexport_changelist")]

    def changelist_view(self, request, extra_context=None):
        """Accepted labels as JSONL, CSV, CoNLL or a Hugging Face dataset; workers named by pseudonym."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                return downloads.export_response(data["project"], data["format"], data["mask"])
            except ValueError as error:
                form.add_error(None, str(error))
        return form_page(self, request, form, "Export labels")


@admin.register(TrainingPolicy)
class TrainingPolicyAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    list_display = ["project", "enabled", "min_new_labels", "epochs"]
