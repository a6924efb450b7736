from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import assignment, schemas, selectors, services
from .forms import ImportItemsForm
from .importing import ImportRejected, items_import
from .models import Assignment, Item, Project
from .rendering import instructions_html


class ProjectAdminForm(forms.ModelForm):
    """Shows schema and lifecycle problems on the form, next to the field, before anything is saved."""

    class Meta:
        model = Project
        fields = "__all__"

    def clean_label_schema(self):
        try:
            return schemas.label_schema_clean(self.cleaned_data["label_schema"])
        except schemas.SchemaError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            changed = {name: cleaned.get(name) for name in self.changed_data}
            for field, problem in services.project_update_problems(project=self.instance, fields=changed).items():
                self.add_error(None if field == "__all__" else field, problem)
        return cleaned


class ProjectActionForm(ActionForm):
    count = forms.IntegerField(required=False, min_value=1, label="Items to push", help_text="For 'push a batch'.")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    action_form = ProjectActionForm
    list_display = [
        "title", "task_type", "status", "item_count", "labels_collected", "accepted_count",
        "needs_review_count", "percent_done", "deadline",
    ]
    list_filter = ["status", "task_type"]
    search_fields = ["title"]
    show_full_result_count = False
    actions = ["publish", "pause", "close", "push_batch"]
    filter_horizontal = ["required_skills"]
    readonly_fields = ["status", "created_by", "created_at", "updated_at", "instructions_preview", "import_link"]
    fieldsets = [
        (None, {"fields": ["title", "description", "status", "import_link"]}),
        ("Task", {"fields": ["task_type", "label_schema", "item_fields", "instructions", "instructions_preview"]}),
        ("Crowd", {"fields": ["difficulty", "deadline", "overlap", "max_overlap", "gold_share", "alpha",
                              "verified_only", "min_weight", "required_skills"]}),
        ("Quality", {"fields": ["accept_confidence", "adaptive_overlap", "early_stop_confidence", "min_seconds"]}),
        ("Assignment", {"fields": ["assignment_strategy", "item_order", "lease_minutes", "show_model_suggestions"]}),
        ("Payment", {"fields": ["reward_amount", "reward_currency", "reward_scales_with_difficulty"]}),
        ("History", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return selectors.projects_with_progress(super().get_queryset(request))

    @admin.display(description="Items", ordering="item_count")
    def item_count(self, project):
        return project.item_count

    @admin.display(description="Labels collected", ordering="labels_collected")
    def labels_collected(self, project):
        return project.labels_collected

    @admin.display(description="Accepted", ordering="accepted_count")
    def accepted_count(self, project):
        return project.accepted_count

    @admin.display(description="Needs review", ordering="needs_review_count")
    def needs_review_count(self, project):
        return project.needs_review_count

    @admin.display(description="% done")
    def percent_done(self, project):
        return f"{selectors.percent_done(project):.1f}%"

    @admin.display(description="Instructions as annotators see them")
    def instructions_preview(self, project):
        return format_html("<div>{}</div>", instructions_html(project.instructions)) if project.pk else "—"

    @admin.display(description="Items")
    def import_link(self, project):
        if not project.pk:
            return "Save the project first, then import its items."
        url = reverse("admin:tasks_project_import", args=[project.pk])
        items = reverse("admin:tasks_item_changelist") + f"?project__id__exact={project.pk}"
        quality = reverse("admin:quality_projectquality_change", args=[project.pk])
        return format_html('<a href="{}">Import items</a> · <a href="{}">Browse items</a> · <a href="{}">Quality</a>',
                           url, items, quality)

    def save_model(self, request, obj, form, change):
        # The form validated everything; the service is the one place that writes.
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
        if change:
            services.project_update(project=obj, **fields)
        else:
            obj.pk = services.project_create(created_by=request.user, **fields).pk

    def _set_status(self, request, queryset, service, verb):
        done = 0
        for project in queryset:
            try:
                service(project=project)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{project}: {' '.join(error.messages)}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} project(s).", messages.SUCCESS)

    @admin.action(description="Publish (refused without labels or items)", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, services.project_publish, "Published")

    @admin.action(description="Pause", permissions=["change"])
    def pause(self, request, queryset):
        self._set_status(request, queryset, services.project_pause, "Paused")

    @admin.action(description="Close", permissions=["change"])
    def close(self, request, queryset):
        self._set_status(request, queryset, services.project_close, "Closed")

    @admin.action(description="Push a batch of items to the workers by weight (T_i = W_i / ΣW_j)", permissions=["change"])
    def push_batch(self, request, queryset):
        try:
            count = int(request.POST.get("count") or 0)
        except ValueError:
            count = 0
        if count <= 0:
            self.message_user(request, "Say how many items to push (a whole number above 0).", messages.ERROR)
            return
        for project in queryset:
            pushed = assignment.assignment_push_batch(project=project, count=count)
            self.message_user(
                request, f"{project}: pushed {sum(pushed.values())} item(s) to {sum(1 for n in pushed.values() if n)} worker(s).",
                messages.SUCCESS,
            )

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("<int:pk>/import/", view, name="tasks_project_import")] + super().get_urls()

    def import_view(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        form = ImportItemsForm(request.POST or None, request.FILES or None)
        errors = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = items_import(
                    project=project, source=upload, filename=upload.name,
                    file_format=form.cleaned_data["file_format"] or None, mapping=form.cleaned_data["mapping"],
                )
            except ImportRejected as rejected:
                errors = rejected
            else:
                self.message_user(request, report.summary(), messages.SUCCESS)
                return redirect("admin:tasks_project_change", project.pk)
        context = {
            **self.admin_site.each_context(request), "title": f"Import items into {project}", "form": form,
            "project": project, "rejected": errors, "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tasks/project/import.html", context)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["external_id", "project", "short_data", "state", "is_gold", "open_slots", "submitted_count"]
    list_filter = ["state", "is_gold", "project"]
    search_fields = ["external_id"]
    list_select_related = ["project"]
    show_full_result_count = False
    readonly_fields = ["content_hash", "open_slots", "submitted_count", "created_at", "updated_at"]
    raw_id_fields = ["project"]

    @admin.display(description="Data")
    def short_data(self, item):
        text = " | ".join(str(value) for value in item.data.values())
        return text[:80] + ("…" if len(text) > 80 else "")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Live assignments per project: who holds which item, and until when."""

    list_display = ["item", "worker", "project", "state", "is_gold", "pushed", "started_at", "expires_at"]
    list_filter = ["state", "project", "pushed", "is_gold"]
    list_select_related = ["item", "worker", "project"]
    raw_id_fields = ["item", "worker", "project"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
