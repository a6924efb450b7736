import csv
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.admin import PseudonymousWorkerAdmin
from core.admin_mixins import ReadOnlyAdmin
from tasks.admin_scoping import OrganisationScopedAdmin, ProjectPickerForm
from tasks.models import ItemState, Project

from . import selectors, services
from .models import (
    EarningsEntry, ItemDecision, ProjectCalibration, ProjectQuality, Review, ReviewQueueItem, VerificationSample,
    WorkerFlag, WorkerQuality,
)


class PickLabelForm(forms.Form):
    label = forms.CharField(
        required=False, label="Label",
        help_text="A label name; for multi-label a JSON list of names; for spans a JSON list of {start, end, label}.",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        if project.task_type not in ("multi_label", "span"):
            self.fields["label"] = forms.ChoiceField(choices=[(n, n) for n in project.label_names], label="Label")
        else:
            self.fields["label"].widget = forms.Textarea(attrs={"rows": 3, "cols": 70})

    def cleaned_label(self):
        value = self.cleaned_data["label"]
        if isinstance(value, str) and value.strip().startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError as error:
                raise services.ReviewError(f"Not valid JSON: {error}") from error
        return value


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    """Items whose answers did not reach the project's confidence threshold, for a reviewer to decide."""

    list_display = ["external_id", "project", "suggested_label", "suggestion_confidence", "submitted_count", "updated_at"]
    list_filter = ["project"]
    list_select_related = ["project", "suggestion"]
    search_fields = ["external_id"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(state=ItemState.NEEDS_REVIEW)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Suggested label")
    def suggested_label(self, item):
        suggestion = getattr(item, "suggestion", None)
        return json.dumps(suggestion.label) if suggestion and not isinstance(suggestion.label, str) else getattr(suggestion, "label", "—")

    @admin.display(description="Confidence")
    def suggestion_confidence(self, item):
        suggestion = getattr(item, "suggestion", None)
        return f"{suggestion.confidence:.2f}" if suggestion else "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: the item, every answer beside its worker's quality, the suggestion, three actions."""
        item = get_object_or_404(self.get_queryset(request).select_related("project"), pk=object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        form = PickLabelForm(request.POST or None, project=item.project)
        if request.method == "POST":
            if not self.has_change_permission(request, item):
                raise PermissionDenied
            done = self._act(request, item, form)
            if done:
                return redirect(reverse("admin:quality_reviewqueueitem_changelist") + f"?project__id__exact={item.project_id}")
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": f"Review {item.external_id}",
            "item": item, "answers": selectors.item_answers_with_quality(item, reveal_identity=request.user.is_superuser),
            "suggestion": selectors.suggestion_for(item), "form": form,
            "can_change": self.has_change_permission(request, item),
        }
        return TemplateResponse(request, "admin/quality/review_item.html", context)

    def _act(self, request, item, form) -> bool:
        action = request.POST.get("action")
        try:
            if action == "accept_suggestion":
                services.review_accept_suggestion(item_id=item.pk, reviewer=request.user)
                self.message_user(request, f"{item.external_id}: suggestion accepted.", messages.SUCCESS)
            elif action == "pick_label" and form.is_valid():
                services.review_pick_label(item_id=item.pk, reviewer=request.user, label=form.cleaned_label())
                self.message_user(request, f"{item.external_id}: label set.", messages.SUCCESS)
            elif action == "send_back":
                services.review_send_back(item_id=item.pk, reviewer=request.user)
                self.message_user(request, f"{item.external_id}: sent back for fresh annotation.", messages.SUCCESS)
            else:
                return False
        except services.ReviewError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        return True


class SampleForm(ProjectPickerForm):
    size = forms.IntegerField(min_value=1, max_value=10_000, initial=100)


@admin.register(VerificationSample)
class VerificationSampleAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    """Random samples of accepted items sent back to review; the reviewers' agreement estimates accuracy."""

    list_display = ["__str__", "project", "size", "reviewed", "estimate", "created_at"]
    list_filter = ["project"]
    list_select_related = ["project"]
    readonly_fields = ["project", "size", "created_by", "created_at", "agreement"]
    exclude = ["items"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Reviewed")
    def reviewed(self, sample):
        return selectors.sample_agreement(sample)["reviewed"]

    @admin.display(description="Estimated accuracy (95% CI)")
    def estimate(self, sample):
        figures = selectors.sample_agreement(sample)
        if not figures["reviewed"]:
            return "not reviewed yet"
        return f"{figures['accuracy']:.1%} ({figures['ci_low']:.1%} – {figures['ci_high']:.1%}), n={figures['reviewed']}"

    @admin.display(description="Agreement")
    def agreement(self, sample):
        return self.estimate(sample)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SampleForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                sample = services.verification_sample_create(
                    project=form.cleaned_data["project"], size=form.cleaned_data["size"], created_by=request.user
                )
            except services.ReviewError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, f"Sent {sample.size} accepted item(s) to the review queue.", messages.SUCCESS)
                return redirect("admin:quality_verificationsample_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Send a random sample of accepted items to review"}
        return TemplateResponse(request, "admin/quality/sample_form.html", context)


@admin.register(ItemDecision)
class ItemDecisionAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    list_display = ["item", "project", "label", "confidence", "source", "method", "answers_count", "decided_by", "decided_at"]
    list_filter = ["project", "source"]
    list_select_related = ["item", "project", "decided_by"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    project_lookup = "item__project"  # reviewers read reviews: only those of their organisations' projects
    list_display = ["item", "reviewer", "action", "label", "previous_label", "created_at"]
    list_filter = ["action"]
    list_select_related = ["item", "reviewer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False




@admin.register(WorkerQuality)
class WorkerQualityAdmin(PseudonymousWorkerAdmin, admin.ModelAdmin):
    """A worker's page: Q, P, C and W over time, open and past flags, suspensions, earnings."""

    list_display = ["user", "quality_score", "weight", "suspended", "open_flags", "verification_status"]
    list_filter = ["suspended", "verification_status"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user"]
    show_full_result_count = False
    actions = ["lift_suspension"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Open flags")
    def open_flags(self, profile):
        return WorkerFlag.objects.filter(worker_id=profile.user_id, resolved_at__isnull=True).count()

    @admin.action(description="Lift the suspension (and resolve open flags)", permissions=["change"])
    def lift_suspension(self, request, queryset):
        lifted = 0
        for profile in queryset.filter(suspended=True):
            lifted += accounts_services.worker_unsuspend(profile=profile, by=request.user)
        self.message_user(request, f"Lifted {lifted} suspension(s).", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        profile = get_object_or_404(WorkerQuality.objects.select_related("user"), pk=object_id)
        if not self.has_view_permission(request, profile):
            raise PermissionDenied
        history = selectors.worker_history(profile.user)
        worker_name = accounts_selectors.worker_name_for(viewer=request.user, worker=profile.user)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": f"Worker {worker_name}",
            "worker_name": worker_name, "profile": profile, "history": history, "chart": selectors.score_chart(history),
            "flags": WorkerFlag.objects.filter(worker=profile.user)[:50],
            "suspensions": profile.user.suspensions.all()[:20],
        }
        if request.user.is_superuser:  # earnings are the admins' business, as in the earnings list
            context.update(show_earnings=True, totals=selectors.earnings_totals(profile.user),
                           earnings=EarningsEntry.objects.filter(worker=profile.user).select_related("project")[:50])
        return TemplateResponse(request, "admin/quality/worker.html", context)


@admin.register(ProjectQuality)
class ProjectQualityAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """Per project: how far its accepted labels can be trusted. The list stays cheap (the calibration row);
    the page reads the answers for the agreement."""

    project_lookup = "pk"
    list_display = ["title", "task_type", "status", "method", "correlation"]
    list_filter = ["status", "task_type"]
    search_fields = ["title"]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("calibration")

    def _calibration(self, project) -> ProjectCalibration | None:
        return getattr(project, "calibration", None)

    @admin.display(description="Inference method")
    def method(self, project):
        calibration = self._calibration(project)
        return calibration.method if calibration else "not evaluated yet"

    @admin.display(description="Rho (error correlation)")
    def correlation(self, project):
        calibration = self._calibration(project)
        if not calibration:
            return "—"
        return f"{calibration.correlation:.2f}, {selectors.calibration_summary(calibration)['source_text']}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        project = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, project):
            raise PermissionDenied
        quality = selectors.project_quality(project)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": f"Quality of {project.title}",
            "project": project, **quality, "chart": selectors.reliability_chart(quality["reliability"]["bins"]),
            "gold": selectors.project_gold_items(project),
        }
        return TemplateResponse(request, "admin/quality/project_quality.html", context)


@admin.register(EarningsEntry)
class EarningsEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "worker", "project", "kind", "amount", "currency", "note"]
    list_filter = ["kind", "project", "currency"]
    search_fields = ["worker__email", "worker__username"]
    list_select_related = ["worker", "project"]
    show_full_result_count = False
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the selected entries as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="earnings.csv"'
        writer = csv.writer(response)
        writer.writerow(["date", "worker", "email", "project", "kind", "amount", "currency", "note"])
        for entry in queryset.select_related("worker", "project").order_by("created_at").iterator():
            writer.writerow([entry.created_at.isoformat(), entry.worker.username, entry.worker.email,
                             entry.project.title, entry.kind, entry.amount, entry.currency, entry.note])
        return response
