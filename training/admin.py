from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from tasks.models import Project

from . import services, snapshots
from .models import DatasetSnapshot, ModelVersion, TrainingPolicy, TrainingRun


class LaunchForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.all())
    epochs = forms.IntegerField(min_value=1, max_value=100, initial=3)
    learning_rate = forms.FloatField(min_value=1e-7, max_value=1e-2, initial=5e-5)
    batch_size = forms.IntegerField(min_value=1, max_value=512, initial=16)
    max_length = forms.IntegerField(min_value=8, max_value=512, initial=64)
    seed = forms.IntegerField(min_value=0, initial=13)
    device = forms.ChoiceField(choices=[("auto", "auto (CUDA + mixed precision when available)"), ("cpu", "cpu"), ("cuda", "cuda")])
    base_model = forms.CharField(required=False, help_text="A local model folder; empty = the packaged all-MiniLM-L6-v2.")


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "task", "status", "progress", "loss", "test_score", "device", "created_at"]
    list_filter = ["status", "task", "project"]
    list_select_related = ["project"]
    actions = ["cancel"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields] + ["progress"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Progress")
    def progress(self, run):
        return format_html(
            '<progress max="100" value="{}" title="step {} of {}"></progress> {}%', run.percent, run.progress_step,
            run.progress_total, run.percent,
        )

    @admin.display(description="Test score")
    def test_score(self, run):
        test = (run.metrics or {}).get("metrics", {}).get("test", {})
        for key in ("macro_f1", "f1", "entity_f1", "accuracy"):
            if key in test:
                return f"{key} {test[key]:.3f}"
        return "—"

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset):
        for run in queryset:
            services.training_run_cancel(run=run)
        self.message_user(request, f"Asked {queryset.count()} run(s) to stop.", messages.SUCCESS)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LaunchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            project = data.pop("project")
            try:
                run = services.training_run_launch(project=project, created_by=request.user, **data)
            except services.TrainingError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Queued {run}.", messages.SUCCESS)
                return redirect("admin:training_trainingrun_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Launch a fine-tuning run"}
        return TemplateResponse(request, "admin/training/launch.html", context)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "task", "is_active", "created_at"]
    list_filter = ["project", "is_active"]
    actions = ["activate", "preannotate", "flag_disagreements"]
    readonly_fields = ["run", "project", "version", "folder", "task", "metrics", "is_active", "created_at"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Make active (the one the prediction API serves)", permissions=["change"])
    def activate(self, request, queryset):
        for version in queryset:
            services.model_version_activate(version=version)
        self.message_user(request, f"Activated {queryset.count()} model version(s).", messages.SUCCESS)

    @admin.action(description="Pre-annotate the project's open items", permissions=["change"])
    def preannotate(self, request, queryset):
        from .celery_tasks import preannotate

        for version in queryset:
            preannotate.delay(version.pk)
        self.message_user(request, f"Pre-annotation queued for {queryset.count()} version(s).", messages.SUCCESS)

    @admin.action(description="Send accepted items the model confidently disagrees with to review", permissions=["change"])
    def flag_disagreements(self, request, queryset):
        from .predictions import disagreements_flag

        flagged = sum(disagreements_flag(version=version) for version in queryset)
        self.message_user(request, f"Sent {flagged} item(s) to review.", messages.SUCCESS)


class ExportForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.all())
    format = forms.ChoiceField(choices=[("jsonl", "JSONL"), ("csv", "CSV"), ("conll", "CoNLL (span projects)")])
    mask = forms.BooleanField(required=False, label="Mask emails and phone numbers")


@admin.register(DatasetSnapshot)
class DatasetSnapshotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "item_count", "masked_personal_data", "created_at"]
    list_filter = ["project"]
    readonly_fields = ["project", "folder", "manifest", "item_count", "masked_personal_data", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [path("export/", self.admin_site.admin_view(self.export_view), name="training_export")] + super().get_urls()

    def export_view(self, request):
        """Accepted labels as JSONL, CSV or CoNLL; workers named by pseudonym."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                body, content_type = export_body(form.cleaned_data["project"], form.cleaned_data["format"], form.cleaned_data["mask"])
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                response = HttpResponse(body, content_type=content_type)
                response["Content-Disposition"] = f'attachment; filename="labels.{form.cleaned_data["format"]}"'
                return response
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "title": "Export labels"}
        return TemplateResponse(request, "admin/training/launch.html", context)


def export_body(project, fmt, mask=False) -> tuple[str, str]:
    if fmt == "jsonl":
        return snapshots.export_jsonl(project, mask=mask), "application/jsonl"
    if fmt == "csv":
        return snapshots.export_csv(project, mask=mask), "text/csv"
    if fmt == "conll":
        return snapshots.export_conll(project), "text/plain"
    raise ValueError(f"Unknown format {fmt!r}.")


@admin.register(TrainingPolicy)
class TrainingPolicyAdmin(admin.ModelAdmin):
    list_display = ["project", "enabled", "min_new_labels", "epochs"]


