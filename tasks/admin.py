from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.admin import PseudonymousWorkerAdmin

from . import assignment, practice, schemas, selectors, services
from .admin_deletion import ProjectDeletionAdminMixin
from .admin_scoping import OrganisationScopedAdmin
from .forms import ImportItemsForm, ItemAdminForm, PositionedJSONField, StructuredJSONWidget
from .importing import items_import_preview, jobs, staging
from .models import Assignment, ImportJob, Item, PracticeItem, Project, ProjectStatus
from .rendering import instructions_html


STAGED_SESSION_KEY = "tasks_import_staged"  # token -> the options a previewed upload is imported with


class ProjectAdminForm(forms.ModelForm):
    """Shows schema and lifecycle problems on the form, next to the field, before anything is saved."""

    class Meta:
        model = Project
        fields = "__all__"
        field_classes = {"label_schema": PositionedJSONField, "item_fields": PositionedJSONField}
        widgets = {"label_schema": StructuredJSONWidget("labels"), "item_fields": StructuredJSONWidget("fields")}
        help_texts = {
            "label_schema": "The labels in the order annotators see them, each with a colour and a key (Enter, Esc, "
                            "? and Ctrl+Z belong to the labelling page). As JSON: "
                            '{"labels": [{"name": "...", "color": "#1f77b4", "shortcut": "1"}]}',
            "item_fields": "The text fields each item carries, in the order annotators see them, e.g. "
                           '["title", "description"].',
        }

    creator = None  # the person filling it in (ProjectAdmin.get_form): whose organisations' qualifications and groups it offers

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:  # offered to superusers only (ProjectAdmin.get_readonly_fields)
            self.fields["organisation"].required = False
            self.fields["organisation"].help_text = "Empty: your own (the default organisation for admins)."
        # A pool names its project's organisation's qualifications and groups: an existing project's, a new
        # one's creator's (all of them for a superuser choosing the organisation, each labelled with its own).
        organisation_id = self.instance.organisation_id if self.instance.pk else None
        offered = {name: (account_selectors.qualifications_visible_to, _qualification_label)
                   for name in services.QUALIFICATION_FIELDS}
        offered["pool_group"] = (account_selectors.pool_groups_visible_to, _pool_group_label)
        for name, (visible, label) in offered.items():
            if name in self.fields:
                self.fields[name].queryset = visible(user=self.creator, organisation_id=organisation_id)
                self.fields[name].label_from_instance = label
        # Bounds on the fields themselves: a wrong number is named on its field, and the model's check
        # constraint on that field is then skipped instead of speaking its name.
        for name, (low, high) in services.PROJECT_BOUNDS.items():
            if name in self.fields:
                self.fields[name].validators += [v for v in (
                    low is not None and MinValueValidator(low), high is not None and MaxValueValidator(high)) if v]

    def full_clean(self):
        super().full_clean()
        if self._errors and NON_FIELD_ERRORS in self._errors:  # a constraint across fields (max_overlap)
            errors = services.errors_in_words(ValidationError(self._errors.pop(NON_FIELD_ERRORS)))
            for field, messages in errors.message_dict.items():
                self.add_error(None if field == NON_FIELD_ERRORS or field not in self.fields else field, messages)

    def clean_practice_required(self):
        # Optional on the form (blank: no round), so a form posted without it keeps meaning "none".
        return self.cleaned_data.get("practice_required") or 0

    def clean_label_schema(self):
        return _schema_checked(schemas.label_schema_clean, self.cleaned_data["label_schema"])

    def clean_item_fields(self):
        return _schema_checked(schemas.item_fields_clean, self.cleaned_data["item_fields"])

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            changed = {name: cleaned.get(name) for name in self.changed_data}
            for field, problem in services.project_update_problems(project=self.instance, fields=changed).items():
                self.add_error(None if field == "__all__" else field, problem)
        organisation = self._organisation(cleaned)
        if organisation is not None:  # else project_create says why (several organisations, none)
            for field, problem in services.project_organisation_problems(
                    organisation_id=organisation.pk, fields=cleaned).items():
                self.add_error(field, problem)
        return cleaned

    def _organisation(self, cleaned):
        """The project's organisation, as project_create will choose it for a new one (ProjectAdmin.save_model)."""
        if self.instance.pk:
            return self.instance.organisation
        return cleaned.get("organisation") or account_selectors.organisation_for_new_project(user=self.creator)


def _qualification_label(qualification) -> str:
    return f"{qualification.name} ({qualification.organisation})"


def _pool_group_label(group) -> str:
    return f"{group.name} ({group.pool.organisation})"


def _schema_checked(clean, value):
    try:
        return clean(value)
    except schemas.SchemaError as error:
        raise forms.ValidationError(error.problems) from error


class ProjectActionForm(ActionForm):
    count = forms.IntegerField(required=False, min_value=1, label="Items to push", help_text="For 'push a batch'.")


@admin.register(Project)
class ProjectAdmin(ProjectDeletionAdminMixin, OrganisationScopedAdmin, admin.ModelAdmin):
    project_lookup = "pk"
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
        (None, {"fields": ["title", "description", "organisation", "status", "import_link"]}),
        ("Task", {"fields": ["task_type", "label_schema", "item_fields", "instructions", "instructions_preview"]}),
        ("Crowd", {"fields": ["difficulty", "deadline", "overlap", "max_overlap", "gold_share", "alpha",
                              "verified_only", "min_weight", "required_skills", "practice_required"]}),
        ("Pool: who may work on it (empty: every annotator)", {"fields": ["pool_group", "pool_qualification"]}),
        ("Qualification project", {"fields": ["awards_qualification", "award_min_gold_checks",
                                              "award_min_gold_accuracy"]}),
        ("Quality", {"fields": ["accept_confidence", "adaptive_overlap", "early_stop_confidence", "min_seconds"]}),
        ("Assignment", {"fields": ["assignment_strategy", "item_order", "lease_minutes", "show_model_suggestions"]}),
        ("Payment", {"fields": ["reward_amount", "reward_currency", "reward_scales_with_difficulty"]}),
        ("History", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return selectors.projects_with_progress(super().get_queryset(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"creator": request.user})  # a class per request: the user is this one

    def get_readonly_fields(self, request, obj=None):
        # A superuser chooses a new project's organisation; everyone else creates in their own, and a project
        # never moves (its items, answers and runs would move with it).
        chooses = request.user.is_superuser and obj is None
        return self.readonly_fields + ([] if chooses else ["organisation"])

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
            project = services.project_update(project=obj, **fields)
        else:
            organisation = form.cleaned_data.get("organisation") if request.user.is_superuser else None
            project = services.project_create(created_by=request.user, organisation=organisation, **fields)
            obj.pk = project.pk
        for warning in services.project_warnings(project):
            self.message_user(request, warning, messages.WARNING)

    def _set_status(self, request, queryset, service, verb, warn=False):
        done, warnings = 0, []
        for project in queryset:
            try:
                project = service(project=project)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{project}: {' '.join(error.messages)}", messages.ERROR)
            else:
                warnings += [f"{project}: {warning}" for warning in services.project_warnings(project)] if warn else []
        if done:
            self.message_user(request, f"{verb} {done} project(s).", messages.SUCCESS)
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)

    @admin.action(description="Publish (refused without labels or items)", permissions=["change"])
    def publish(self, request, queryset):
        # Published with what is allowed but probably not meant (a reward of 0) said, as the Publish button does.
        self._set_status(request, queryset, services.project_publish, "Published", warn=True)

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
        return [
            path("<int:pk>/import/", self.admin_site.admin_view(self.import_view), name="tasks_project_import"),
            path("<int:pk>/import/jobs/<int:job_id>/", self.admin_site.admin_view(self.import_job_view),
                 name="tasks_project_import_job"),
            path("<int:pk>/import/jobs/<int:job_id>/status/", self.admin_site.admin_view(self.import_job_status),
                 name="tasks_project_import_job_status"),
            path("<int:pk>/import/jobs/<int:job_id>/errors/", self.admin_site.admin_view(self.import_job_errors),
                 name="tasks_project_import_job_errors"),
            path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="tasks_project_publish"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        project = self.get_object(request, object_id)
        publishable = project is not None and project.status in (ProjectStatus.DRAFT, ProjectStatus.PAUSED)
        extra_context = {**(extra_context or {}), "publishable": publishable and self.has_change_permission(
            request, project)}
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def publish_view(self, request, pk):
        """The change page's Publish button: the publish action's service and checks, for this one project."""
        project = get_object_or_404(self.get_queryset(request), pk=pk)  # another organisation's: 404
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        try:
            project = services.project_publish(project=project)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, services.project_publish_report(project), messages.SUCCESS)
            for warning in services.project_warnings(project):
                self.message_user(request, warning, messages.WARNING)
        return redirect("admin:tasks_project_change", project.pk)

    def _project_to_import(self, request, pk) -> Project:
        project = get_object_or_404(self.get_queryset(request), pk=pk)  # another organisation's: 404
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        return project

    def import_view(self, request, pk):
        """Upload -> preview (nothing stored; the file is staged) -> confirm: the background job imports it, and
        its page shows the progress. A file too large to preview within one request goes to the job at once
        (its validation pass reports what the preview would have)."""
        project = self._project_to_import(request, pk)
        if request.method == "POST" and "staged" in request.POST:
            return self._import_confirm(request, project, request.POST["staged"])
        form = ImportItemsForm(request.POST or None, request.FILES or None)
        context = {"form": form}
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            options = {"filename": upload.name, "mapping": form.cleaned_data["mapping"],
                       **{name: form.cleaned_data[name] or None for name in ("file_format", "delimiter", "encoding")}}
            if upload.size > settings.IMPORT_SYNC_MAX_BYTES:
                job = jobs.import_job_create(project=project, created_by=request.user, upload=upload, options=options)
                return redirect("admin:tasks_project_import_job", project.pk, job.pk)
            token = staging.upload_stage(upload)
            request.session.setdefault(STAGED_SESSION_KEY, {})[token] = {"project": project.pk, **options}
            request.session.modified = True
            with open(staging.staged_path(token), "rb") as staged:
                context["preview"] = items_import_preview(project=project, source=staged, **options)
            context["staged"] = token
        return self._import_page(request, project, context)

    def _import_confirm(self, request, project, token):
        staged = request.session.get(STAGED_SESSION_KEY, {})
        options = dict(staged.get(token) or {})
        if options.pop("project", None) != project.pk or staging.staged_path(token) is None:
            self.message_user(request, "That preview has expired: upload the file again.", messages.ERROR)
            return redirect("admin:tasks_project_import", project.pk)
        staged.pop(token)  # the job owns the file now: a second confirmation imports nothing twice
        request.session.modified = True
        job = jobs.import_job_queue(project=project, created_by=request.user, staged=token,
                                    filename=options.pop("filename"), options=options)
        return redirect("admin:tasks_project_import_job", project.pk, job.pk)

    def _import_job(self, request, pk, job_id) -> ImportJob:
        return get_object_or_404(ImportJob, pk=job_id, project=self._project_to_import(request, pk))

    def import_job_view(self, request, pk, job_id):
        """A background import's page: a progress bar that follows the job (tasks/import_job.js polls its status),
        then its outcome: the counts, or the errors that stopped it, with the report to download."""
        job = self._import_job(request, pk, job_id)
        context = {
            **self.admin_site.each_context(request), "title": f"Importing {job.filename} into {job.project}",
            "project": job.project, "job": job, "opts": self.model._meta, "progress": jobs.import_job_progress(job),
        }
        return TemplateResponse(request, "admin/tasks/project/import_job.html", context)

    def import_job_status(self, request, pk, job_id):
        return JsonResponse(jobs.import_job_progress(self._import_job(request, pk, job_id)))

    def import_job_errors(self, request, pk, job_id):
        job = self._import_job(request, pk, job_id)
        response = HttpResponse(jobs.import_job_errors_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response

    def _import_page(self, request, project, context):
        context = {
            **self.admin_site.each_context(request), "title": f"Import items into {project}", "project": project,
            "opts": self.model._meta, "sync_max_mb": settings.IMPORT_SYNC_MAX_BYTES // (1024 * 1024), **context,
        }
        return TemplateResponse(request, "admin/tasks/project/import.html", context)


@admin.register(Item)
class ItemAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    form = ItemAdminForm
    list_display = ["external_id", "project", "short_data", "state", "is_gold", "open_slots", "submitted_count"]
    list_filter = ["state", "is_gold", "project"]
    search_fields = ["external_id"]
    list_select_related = ["project"]
    show_full_result_count = False
    readonly_fields = ["media_link", "content_hash", "open_slots", "submitted_count", "created_at", "updated_at"]
    raw_id_fields = ["project"]

    @admin.display(description="Uploaded file, as annotators see it")
    def media_link(self, item):
        # The file widget's own link is the storage path, which is not served: uploads are private.
        url = item.media_url() if item.pk else None
        return format_html('<a href="{}">{}</a>', url, item.media.name) if url else "—"

    @admin.display(description="Data")
    def short_data(self, item):
        text = " | ".join(str(value) for value in item.data.values())
        return text[:80] + ("…" if len(text) > 80 else "")


@admin.register(Assignment)
class AssignmentAdmin(PseudonymousWorkerAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Live assignments per project: who holds which item, and until when (project managers see who by
    pseudonym)."""

    worker_field = "worker"

    list_display = ["item", "worker", "project", "state", "is_gold", "pushed", "started_at", "expires_at"]
    list_filter = ["state", "project", "pushed", "is_gold"]
    list_select_related = ["item", "worker", "project"]
    raw_id_fields = ["item", "worker", "project"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PracticeItemForm(forms.ModelForm):
    """Checks the right answer against the project's labels, so a worker's answer compares exactly."""

    class Meta:
        model = PracticeItem
        fields = ["project", "external_id", "data", "answer", "explanation"]

    def clean(self):
        cleaned = super().clean()
        if all(cleaned.get(name) is not None for name in ("project", "data", "answer")):
            try:
                cleaned["answer"] = practice.practice_answer_clean(
                    project=cleaned["project"], data=cleaned["data"], answer=cleaned["answer"])
            except schemas.SchemaError as error:
                self.add_error("answer", str(error))
        return cleaned


# Its own page rather than an inline on the project's: the project form then posts exactly as before.
@admin.register(PracticeItem)
class PracticeItemAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    """The practice round's items: their answer and explanation are shown to workers after they answer."""

    form = PracticeItemForm
    list_display = ["external_id", "project", "answer"]
    list_filter = ["project"]
    search_fields = ["external_id"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    show_full_result_count = False
