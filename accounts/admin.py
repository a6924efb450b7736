from django.contrib import admin, messages
from django.db.models import Count
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin, UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django import forms

from . import selectors, services
from .models import (
    ApiToken, Membership, Organisation, PoolGroup, Qualification, QualificationGrant, Skill, User, VerificationDecision,
    WorkerProfile,
)


class ReasonActionForm(ActionForm):
    """The admin's action bar with a reason box: approvals, rejections and suspensions carry one."""

    reason = forms.CharField(required=False, label="Reason", widget=forms.TextInput(attrs={"size": 50}))


class PseudonymousWorkerAdmin:
    """A ModelAdmin mixin for rows that name a worker (the foreign key `worker_field`): admins see the account;
    reviewers and project managers see the worker's pseudonym (w-…) in its place, in the list and on the page,
    as the API, the exports and the review queue name them. Nor may they search by username or e-mail: a
    search would tell them whose row a pseudonym is."""

    worker_field = "user"

    @admin.display(description="Worker")
    def worker_pseudonym(self, row):
        return selectors.worker_pseudonym(getattr(row, f"{self.worker_field}_id"))

    def _pseudonymised(self, request, names):
        if request.user.is_superuser:
            return names
        return list(dict.fromkeys("worker_pseudonym" if name == self.worker_field else name for name in names))

    def get_list_display(self, request):
        return self._pseudonymised(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._pseudonymised(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return readonly
        # The account's field leaves the form (it would render the username), the pseudonym takes its place.
        return [*readonly, self.worker_field, "worker_pseudonym"]

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        return fields if request.user.is_superuser else [f for f in fields if not f.startswith(f"{self.worker_field}__")]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "email"]
    # Staff and superuser flags follow the role (see services.user_set_role): they are not edited by hand.
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Role", {"fields": ["role", "is_active"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "email", "role", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.user_set_role(user=obj, role=obj.role)
        if not change and obj.email:
            # The admin typed the address: no confirmation mail stands between the new account and its first log-in.
            services.email_address_mark_verified(user=obj)


class VerificationDecisionInline(admin.TabularInline):
    model = VerificationDecision
    extra = 0
    can_delete = False
    fields = ["decided_at", "status", "reason", "decided_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkerProfile)
class WorkerProfileAdmin(PseudonymousWorkerAdmin, admin.ModelAdmin):
    list_display = ["user", "verification_status", "verification_submitted_at", "suspended", "weight"]
    list_filter = ["verification_status", "suspended", "skills"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user"]
    show_full_result_count = False
    action_form = ReasonActionForm
    actions = ["approve_verification", "reject_verification", "suspend_workers", "lift_suspension"]
    inlines = [VerificationDecisionInline]
    fields = [
        "user", "verification_status", "document_link", "verification_note", "verification_submitted_at",
        "verification_reason", "verification_decided_by", "verification_decided_at", "skills",
        "suspended", "suspended_reason", "suspended_at", "weight",
    ]
    # Decisions go through the actions (with their reason and history), never through a raw field edit.
    readonly_fields = [f for f in fields if f != "skills"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Document")
    def document_link(self, profile):
        if not profile.verification_document:
            return "—"
        url = reverse("admin:accounts_workerprofile_document", args=[profile.pk])
        return format_html('<a href="{}">Open the uploaded document</a>', url)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/document/",
                self.admin_site.admin_view(self.document_view),
                name="accounts_workerprofile_document",
            )
        ]
        return urls + super().get_urls()

    def document_view(self, request, pk):
        """Documents are private: only staff who may view worker profiles can open them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        profile = get_object_or_404(WorkerProfile, pk=pk)
        if not profile.verification_document:
            raise Http404("No document uploaded.")
        return FileResponse(profile.verification_document.open("rb"), as_attachment=True)

    def _decide(self, request, queryset, decide, verb):
        reason = request.POST.get("reason", "")
        done = 0
        for profile in queryset:
            try:
                decide(profile=profile, reviewer=request.user, reason=reason)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{profile}: {'; '.join(error.messages)}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} worker(s).", messages.SUCCESS)

    @admin.action(description="Approve verification (reason optional)", permissions=["change"])
    def approve_verification(self, request, queryset):
        self._decide(request, queryset, services.verification_approve, "Approved")

    @admin.action(description="Reject verification (reason required)", permissions=["change"])
    def reject_verification(self, request, queryset):
        self._decide(request, queryset, services.verification_reject, "Rejected")

    @admin.action(description="Suspend workers (reason required)", permissions=["change"])
    def suspend_workers(self, request, queryset):
        reason = request.POST.get("reason", "")
        try:
            count = sum(1 for profile in queryset if services.worker_suspend(profile=profile, reason=reason))
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), messages.ERROR)
            return
        self.message_user(request, f"Suspended {count} worker(s).", messages.SUCCESS)

    @admin.action(description="Lift suspension", permissions=["change"])
    def lift_suspension(self, request, queryset):
        count = sum(services.worker_unsuspend(profile=profile, by=request.user) for profile in queryset)
        self.message_user(request, f"Lifted the suspension of {count} worker(s).", messages.SUCCESS)


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class QualificationGrantInline(admin.TabularInline):
    model = QualificationGrant
    extra = 1
    fields = ["worker", "source", "granted_by", "granted_at"]
    readonly_fields = ["source", "granted_by", "granted_at"]
    raw_id_fields = ["worker"]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    """Qualifications and who holds them: adding a row grants it, deleting one revokes it."""

    list_display = ["name", "organisation", "holders"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    inlines = [QualificationGrantInline]

    def get_queryset(self, request):
        # Admins' page; should anyone else be let in, they would see their organisations' qualifications only.
        visible = selectors.qualifications_visible_to(user=request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible).select_related("organisation").annotate(
            holder_count=Count("grants"))

    def get_readonly_fields(self, request, obj=None):
        # A qualification never moves: the projects whose pool names it would be left naming another tenant's.
        return [*super().get_readonly_fields(request, obj), *(["organisation"] if obj else [])]

    @admin.display(description="Holders", ordering="holder_count")
    def holders(self, qualification):
        return qualification.holder_count

    def save_formset(self, request, form, formset, change):
        """Grants and revocations go through the services (only annotators may hold one)."""
        if formset.model is not QualificationGrant:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        qualification = form.instance
        services.qualification_revoke(
            qualification=qualification, workers=[grant.worker for grant in formset.deleted_objects]
        )
        new = [grant.worker for grant in formset.new_objects]
        granted = services.qualification_grant(qualification=qualification, workers=new, granted_by=request.user)
        if granted < len(new):
            self.message_user(request, "Some accounts were skipped: they already hold it or are not annotators.",
                              messages.WARNING)


class PoolGroupInline(admin.StackedInline):
    model = PoolGroup
    can_delete = False
    verbose_name = "organisation whose projects may name it as their pool"
    verbose_name_plural = "Annotator pool: whose projects may name this group (empty: nobody's, a staff group)"

    def get_readonly_fields(self, request, obj=None):
        # Set once: the projects whose pool names it would otherwise be left naming another tenant's group.
        owned = obj is not None and PoolGroup.objects.filter(group_id=obj.pk).exists()
        return [*super().get_readonly_fields(request, obj), *(["organisation"] if owned else [])]


class GroupAdmin(DjangoGroupAdmin):
    """Django's groups, with the organisation a group belongs to when projects use it as an annotator pool."""

    inlines = [PoolGroupInline]
    list_display = ["name", "pool_organisation"]
    list_filter = ["pool__organisation"]
    list_select_related = ["pool__organisation"]

    @admin.display(description="Pool of", ordering="pool__organisation__name")
    def pool_organisation(self, group):
        pool = getattr(group, "pool", None)
        return pool.organisation if pool else "—"


admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every API token, to see which are used and revoke one. Keys are never shown: only a hash is stored."""

    list_display = ["name", "user", "prefix", "project_id", "read_only", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    show_full_result_count = False
    fields = ["name", "user", "prefix", "project_id", "read_only", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # created on the API access page, where the key is shown once

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(services.api_token_revoke(user=request.user, token_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


def _drf_token_admin_unregister():
    """DRF's own token admin edits a table no request reads any more (tokens are ApiTokens)."""
    from rest_framework.authtoken.models import TokenProxy

    if admin.site.is_registered(TokenProxy):
        admin.site.unregister(TokenProxy)


_drf_token_admin_unregister()
