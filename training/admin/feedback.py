from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html
from django.utils.text import Truncator

from core.admin_mixins import ReadOnlyAdmin
from tasks.admin_scoping import OrganisationScopedAdmin, ProjectsWithRowsFilter
from training.models import FeedbackEvent, FeedbackOutcome, FeedbackPolicy

from .display import NarrowListColumns, short_time

EXCERPT_CHARS = 60


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(NarrowListColumns, ReadOnlyAdmin, OrganisationScopedAdmin, admin.ModelAdmin):
    """What the live system reported: read-only (the feedback API writes it)."""

    # What tells events apart and what happened, fitting 1280 px beside the admin's sidebar and the filters; the
    # actor, the confidence, the model version and whether the rules looked at it are on the event's page.
    list_display = ["event_label", "project_title", "what_happened", "excerpt", "occurred"]
    list_filter = ["project", "outcome", "actor", "processed"]
    project_list_filter = ProjectsWithRowsFilter  # millions of rows: no DISTINCT over them for the sidebar
    # What an integrator quotes when asking about an event: its id or the item it named (whole, as stored: "E1" and
    # "e1" are two events), a label (whole, any case), or words of its text. A scan of the rows in view: pick a
    # project first on a large table.
    search_fields = ["event_id__exact", "item__external_id__exact", "=predicted_label", "=corrected_label", "text"]
    search_help_text = "An event id or an item's external id (exactly), a label (whole), or words of the text."
    list_select_related = ["project"]
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page

    def get_queryset(self, request):
        # The item's external id alone, for the excerpt of an event that named an item: not the item's data.
        return super().get_queryset(request).annotate(item_external_id=F("item__external_id"))

    @admin.display(description="Event", ordering="event_id")
    def event_label(self, event):
        # on one line: the admin wraps an id like "order-2026-12-01-0017" at its hyphens
        return format_html('<span style="white-space: nowrap">{}</span>', event.event_id)

    @admin.display(description="What happened", ordering="outcome")
    def what_happened(self, event):
        """The outcome and the labels it concerns: "corrected: TV → Phone", "clicked: TV"."""
        outcome = event.get_outcome_display().replace("_", " ")
        if event.outcome == FeedbackOutcome.CORRECTED:
            return f"{outcome}: {event.predicted_label} → {event.corrected_label}"
        return f"{outcome}: {event.predicted_label}"

    @admin.display(description="Text")
    def excerpt(self, event):
        """The start of the text the search looks in; an event that named an item stores no text, only the item."""
        if event.text:
            return Truncator(event.text).chars(EXCERPT_CHARS)
        return f"item {event.item_external_id}" if event.item_external_id else "—"

    @admin.display(description="Occurred at", ordering="occurred_at")
    def occurred(self, event):
        return short_time(event.occurred_at)


@admin.register(FeedbackPolicy)
class FeedbackPolicyAdmin(OrganisationScopedAdmin, admin.ModelAdmin):
    list_display = ["project", "enabled", "take_reported_wrong", "take_corrected", "low_confidence_below",
                    "take_implicit_disagreement", "corrections_as_answers", "auto_promote", "promotion_margin"]
    list_select_related = ["project"]
