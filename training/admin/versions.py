from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from tasks.admin_scoping import OrganisationScopedAdmin
from training import predictions, promotion, selectors, services
from training.models import JobState, ModelVersion, PreannotationJob

from .display import NarrowListColumns, admin_link, headline_text, metrics_table, promotion_summary
from .runs import REFRESH_SECONDS

PREANNOTATION_JOBS_SHOWN = 3


def _job_line(job):
    when = f"{timezone.localtime(job.finished_at or job.started_at or job.created_at):%Y-%m-%d %H:%M:%S}"
    if job.state == JobState.DONE and not job.total:
        return format_html("{}: nothing to pre-annotate, the project had no open items (gold checks are not pre-annotated), {}",
                           job.get_state_display(), when)
    line = format_html('{} <progress max="100" value="{}"></progress> {} of {} items ({}%), {}', job.get_state_display(),
                       job.percent, job.done, job.total, job.percent, when)
    return format_html("{}: {}", line, job.error) if job.error else line


@admin.register(ModelVersion)
class ModelVersionAdmin(NarrowListColumns, OrganisationScopedAdmin, admin.ModelAdmin):
    # Fits 1280 px beside the admin's sidebar and the filters: the task and the test examples are on its page.
    list_display = ["version_label", "project_title", "headline", "is_active", "produced_by", "created"]
    list_filter = ["project", "is_active"]
    list_select_related = ["project", "run"]
    actions = ["activate", "rollback", "preannotate", "flag_disagreements", "compare"]
    fields = ["project", "version", "task", "is_active", "headline", "test_examples", "served_by", "preannotation", "figures", "promotion",
              "produced_by", "folder", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The actions (activate, pre-annotate) need it on the list; a version's own page has nothing to save.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="Version", ordering="version")
    def version_label(self, version):
        return f"v{version.version}"  # __str__ repeats the project and 'active', columns of their own here

    @admin.display(description="Headline figure")
    def headline(self, version):
        return headline_text(version.task, version.metrics)

    @admin.display(description="Served by (CPU)")
    def served_by(self, version):
        return selectors.serving_description(version)

    @admin.display(description="Test examples")
    def test_examples(self, version):
        return (version.metrics or {}).get("test", {}).get("examples", "—")

    @admin.display(description="Promotion (frozen set and corrected feedback, against the active version)")
    def promotion(self, version):
        return promotion_summary(version.evaluation)

    @admin.display(description="Produced by")
    def produced_by(self, version):
        return admin_link(version.run, f"run {version.run_id}")

    @admin.display(description="Figures")
    def figures(self, version):
        return metrics_table(version.metrics)

    @admin.action(description="Compare the selected versions side by side")
    def compare(self, request, queryset):
        versions = list(queryset.select_related("run", "run__base_model").order_by("version"))
        columns = [(version, selectors.version_comparison_rows(version)) for version in versions]
        names = list(dict.fromkeys(name for _version, rows in columns for name in rows))
        table = [(name, [rows.get(name, "—") for _version, rows in columns]) for name in names]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Model versions side by side",
                   "versions": versions, "table": table}
        return TemplateResponse(request, "admin/training/compare_versions.html", context)

    @admin.action(description="Make active (the one the prediction API serves)", permissions=["change"])
    def activate(self, request, queryset):
        versions = list(queryset.select_related("project"))
        if len(versions) != 1:
            self.message_user(request, "Select exactly one model version to make active.", messages.WARNING)
            return None
        version = versions[0]
        try:
            services.model_version_activate(version=version, confirmed=request.POST.get("confirmed") == "yes")
        except services.ActivationNeedsConfirmation as needs:
            return self._confirm_activation(request, version, needs.concerns)
        self.message_user(request, f"{version.project} v{version.version} now serves predictions.", messages.SUCCESS)
        return None

    @admin.action(description="Roll back to this version (serve it again, at once)", permissions=["change"])
    def rollback(self, request, queryset):
        versions = list(queryset.select_related("project"))
        if len(versions) != 1:
            self.message_user(request, "Select exactly one model version to roll back to.", messages.WARNING)
            return
        promotion.model_version_rollback(version=versions[0], by=request.user)
        self.message_user(request, f"{versions[0].project} v{versions[0].version} serves predictions again.",
                          messages.SUCCESS)

    def _confirm_activation(self, request, version, concerns):
        """A page that says what speaks against the version and asks again, as Django's delete does."""
        active = ModelVersion.objects.filter(project=version.project, is_active=True).first()
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Activate a weaker model?",
            "version": version, "concerns": concerns, "active": active, "floor": selectors.activation_floor(),
            "version_headline": headline_text(version.task, version.metrics),
            "active_headline": headline_text(active.task, active.metrics) if active else None,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/training/activate_confirm.html", context)

    @admin.action(description="Pre-annotate the project's open items", permissions=["change"])
    def preannotate(self, request, queryset):
        for version in queryset.select_related("project"):
            predictions.preannotation_job_queue(version=version, created_by=request.user)
            self.message_user(request, format_html("Pre-annotation of {} queued: {} shows its progress.", version.project,
                                                   admin_link(version, f"v{version.version}'s page")), messages.SUCCESS)

    @admin.display(description="Pre-annotation")
    def preannotation(self, version):
        """The latest pre-annotation jobs of this version: state, a progress bar, when; the page refreshes while one runs."""
        jobs = version.preannotation_jobs.all()[:PREANNOTATION_JOBS_SHOWN]
        return format_html_join("", "<p>{}</p>", ((_job_line(job),) for job in jobs)) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        running = PreannotationJob.objects.filter(version_id=object_id, state__in=[JobState.QUEUED, JobState.RUNNING]).exists()
        extra_context = {**(extra_context or {}), "refresh_seconds": REFRESH_SECONDS if running else None}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Send accepted items the model confidently disagrees with to review", permissions=["change"])
    def flag_disagreements(self, request, queryset):
        from training.predictions import disagreements_flag

        flagged = sum(disagreements_flag(version=version) for version in queryset)
        self.message_user(request, f"Sent {flagged} item(s) to review.", messages.SUCCESS)
