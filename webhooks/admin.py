from django.contrib import admin, messages

from accounts import selectors as account_selectors
from core.admin_mixins import ReadOnlyAdmin

from . import services
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class OrganisationScoped:
    """Rows of the organisations the member of staff belongs to (every one for superusers)."""

    organisation_lookup = "organisation"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        organisations = account_selectors.organisation_ids_of(user=request.user)
        if organisations is None:
            return queryset
        return queryset.filter(**{f"{self.organisation_lookup}__in": organisations})


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OrganisationScoped, admin.ModelAdmin):
    list_display = ["url", "organisation", "events", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["organisation"]
    actions = ["send_test_event"]
    readonly_fields = ["created_at"]

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request, queryset):
        sent = [services.endpoint_send_test(endpoint=endpoint) for endpoint in queryset]
        self.message_user(request, f"{len(sent)} test event(s) queued: see Webhook deliveries for the responses.",
                          messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "status_code", "duration_ms", "error", "response_body", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin, OrganisationScoped, admin.ModelAdmin):
    organisation_lookup = "endpoint__organisation"
    list_display = ["event_type", "endpoint", "state", "attempts", "response_status", "created_at", "delivered_at"]
    list_filter = ["state", "event_type"]
    list_select_related = ["endpoint__organisation"]
    show_full_result_count = False
    fields = ["endpoint", "event_type", "message_id", "state", "attempts", "response_status", "response_body",
              "payload", "created_at", "last_attempt_at", "delivered_at"]
    readonly_fields = fields
    inlines = [AttemptInline]
