"""People, roles and the worker profile: who may do what, and whether an annotator is verified."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    REVIEWER = "reviewer", "Reviewer"
    PROJECT_MANAGER = "project_manager", "Project manager"
    ANNOTATOR = "annotator", "Annotator"
    INTEGRATOR = "integrator", "Integrator (API only)"


# The roles that work in the Django admin.
STAFF_ROLES = [Role.ADMIN, Role.REVIEWER, Role.PROJECT_MANAGER]
# The roles that hold API tokens of their own and manage them (the /api-access/ page, /api/tokens/).
API_ROLES = [Role.INTEGRATOR, Role.ADMIN]


class CrowdLabelUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A CrowdLabel account. The role decides where the person may go: admins, reviewers and project managers
    to the Django admin (the last two inside their organisations), annotators to the labelling pages, integrators to the API (and the page that gives them its token)."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)

    objects = CrowdLabelUserManager()

    class Meta:
        constraints = [
            # Emails are how annotators log in: two accounts must never share one, whatever the case.
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="accounts_user_email_ci_unique"
            ),
            # Staff access follows the role, so a role change can never leave a stale admin door open.
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(role__in=STAFF_ROLES),
                name="accounts_user_only_staff_roles_are_staff",
            ),
        ]

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def is_reviewer(self):
        return self.role == Role.REVIEWER

    @property
    def is_project_manager(self):
        return self.role == Role.PROJECT_MANAGER

    @property
    def is_annotator(self):
        return self.role == Role.ANNOTATOR

    @property
    def is_integrator(self):
        return self.role == Role.INTEGRATOR


class Skill(models.Model):
    """A skill or a language an annotator declares and a project may require."""

    class Kind(models.TextChoices):
        SKILL = "skill", "Skill"
        LANGUAGE = "language", "Language"

    name = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SKILL)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


def verification_document_path(instance, filename):
    # Under a per-user folder; MEDIA is never served publicly (see settings), only through the admin.
    return f"verification/{instance.user_id}/{filename}"


class WorkerProfile(models.Model):
    """What the platform knows about an annotator as a worker: skills, verification, suspension and the
    current weight W_i (written by quality, read by assignment)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worker_profile"
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="workers")
    verification_status = models.CharField(
        max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED, db_index=True
    )
    verification_document = models.FileField(
        upload_to=verification_document_path,
        blank=True,
        validators=[FileExtensionValidator(settings.VERIFICATION_DOCUMENT_EXTENSIONS)],
    )
    verification_note = models.TextField(blank=True, help_text="What the annotator wrote with the document.")
    verification_submitted_at = models.DateTimeField(null=True, blank=True)
    verification_reason = models.TextField(blank=True, help_text="The reviewer's reason, shown to the annotator.")
    verification_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_decided_at = models.DateTimeField(null=True, blank=True)
    suspended = models.BooleanField(default=False, db_index=True)
    suspended_reason = models.TextField(blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    weight = models.FloatField(
        default=1.0, help_text="W_i: the worker's current weight, recomputed by the quality job."
    )
    quality_score = models.FloatField(
        null=True, blank=True, help_text="Q = αP + (1-α)C, the latest score the quality job computed."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="accounts_workerprofile_weight_gte_0"),
        ]

    def __str__(self):
        # The admin's titles, breadcrumbs, messages and history (stored) show this to reviewers too: the
        # pseudonym, never the username (accounts.admin.PseudonymousWorkerAdmin shows admins the account).
        from .selectors import worker_pseudonym

        return f"Worker {worker_pseudonym(self.user_id)}"

    @property
    def is_verified(self):
        return self.verification_status == VerificationStatus.VERIFIED


class VerificationDecision(models.Model):
    """Every approve/reject, kept so the history of a worker's verification is never overwritten."""

    profile = models.ForeignKey(WorkerProfile, on_delete=models.CASCADE, related_name="verification_decisions")
    status = models.CharField(max_length=16, choices=VerificationStatus.choices)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]


class Qualification(models.Model):
    """A standing that admits workers to the projects that ask for it: an admin grants it, or a
    qualification project awards it to those who pass its gold checks. It belongs to one organisation, and
    only that organisation's projects name it in their pool (tasks.services): one tenant's test never opens
    another tenant's projects, and no tenant sees another's qualifications."""

    organisation = models.ForeignKey("Organisation", on_delete=models.PROTECT, related_name="qualifications")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="accounts_qualification_name_per_org"),
        ]

    def __str__(self):
        return self.name


class PoolGroup(models.Model):
    """A group of annotators that projects name as their pool (Project.pool_group), and the organisation it
    belongs to: as with qualifications, only that organisation's projects name it, and no other tenant sees
    its name. Groups without one (the staff role groups, permission groups) are never a pool. A row ties an
    auth Group to its organisation, so the group keeps working wherever Django's groups do (membership,
    the user admin); it never moves: the projects naming it would be left naming another tenant's group."""

    group = models.OneToOneField("auth.Group", primary_key=True, on_delete=models.CASCADE, related_name="pool")
    organisation = models.ForeignKey("Organisation", on_delete=models.PROTECT, related_name="pool_groups")

    def __str__(self):
        return f"{self.group} ({self.organisation})"


class QualificationGrant(models.Model):
    """One worker holds one qualification. Revoking it deletes the row: the worker leaves its pools at once."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Granted by an admin"
        PROJECT = "project", "Awarded by a qualification project"

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="grants")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualification_grants")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ADMIN)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            # Granting twice (an admin and a project, or two evaluations at once) keeps one row.
            models.UniqueConstraint(fields=["worker", "qualification"], name="accounts_qualificationgrant_once"),
        ]

    def __str__(self):
        return f"{self.qualification} held by {self.worker_id}"


class Suspension(models.Model):
    """Every suspension and its lifting, with the reason the worker is shown. Written only by
    accounts.services.worker_suspend / worker_unsuspend, the one home of what suspension does."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.TextField()
    automatic = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]


class Organisation(models.Model):
    """The tenancy unit: projects (and through them items, runs, models and exports) belong to one, and
    integrators, reviewers and project managers act only inside the organisations they are members of.
    A fresh install has one, the default, so a single-team setup never has to think about it."""

    DEFAULT_SLUG = "default"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MembershipRole(models.TextChoices):
    INTEGRATOR = "integrator", "Integrator (API)"
    REVIEWER = "reviewer", "Reviewer"
    PROJECT_MANAGER = "project_manager", "Project manager"


class Membership(models.Model):
    """A person's place in an organisation. Annotators are never members: the crowd works across
    organisations, on the projects open to them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=MembershipRole.choices)
    # Made because the install had one organisation when the person joined (accounts.services): it ends as soon
    # as an admin places them in another, so no one stays in the default organisation by accident.
    automatic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="accounts_membership_user_org_unique"),
        ]

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.get_role_display()})"


class ApiToken(models.Model):
    """An API token: named, one of several a user may hold, revocable, with the time it was last used, and
    optionally limited to one project and/or to reading. Only a hash of the key is stored: the key is shown
    once, when it is created, and a leaked database does not leak working tokens."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters, to recognise it.")
    # A plain id, not a foreign key: accounts is below tasks and never imports it. A token limited to a
    # project that is later deleted grants nothing (the project scoping finds no such project).
    project_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Limit the token to this project (its id); empty: every project of the "
        "user's organisations.")
    read_only = models.BooleanField(default=False, help_text="Only reading requests (GET, HEAD, OPTIONS).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self):
        return self.revoked_at is not None
