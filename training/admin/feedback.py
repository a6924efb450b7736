from django.contrib import admin

from core.admin_mixins import ReadOnlyAdmin
from tasks.admin_scoping import OrganisationScopedAdmin, ProjectsWithRowsFilter
from training.models import FeedbackEvent, FeedbackPolicy


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """What the live system reported: read-only (the feedback API writes it)."""

    list_display = ["event_id", "project", "outcome", "actor", "predicted_label", "corrected_label", "confidence",
                    "processed", "occurred_at"]
    list_filter = ["project", "outcome", "actor", "processed"]
    project_list_filter = ProjectsWithRowsFilter  # millions of rows: no DISTINCT over them for the sidebar
    # What an integrator quotes when asking about an event: its id or the item it named (whole, as stored: "E1" and
    # "e1" are two events), a label (whole, any case), or words of its text. A scan of the rows in view: pick a
    # project first on a large table.
    search_fields = ["event_id__exact", "item__external_id__exact", "=predicted_label", "=corrected_label", "text"]
    search_help_text = "An event id or an item's external id (exactly), a label (whole), or words of the text."
    list_select_related = ["project"]
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page


@admin.register(FeedbackPolicy)
class FeedbackPolicyAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    list_display = ["project", "enabled", "take_reported_wrong", "take_corrected", "low_confidence_below",
                    "take_implicit_disagreement", "corrections_as_answers", "auto_promote", "promotion_margin"]
    list_select_related = ["project"]
