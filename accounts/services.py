"""Writes about people: roles, registration, verification, suspension, API tokens."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .documents import HEAD_BYTES, document_problem
from .models import Role, User, VerificationDecision, VerificationStatus, WorkerProfile

REVIEWERS_GROUP = "Reviewers"

# What a reviewer may do in the admin: verify workers and adjudicate disagreements. Later stages add
# their review permissions here by name, so this lowest app never imports them.
REVIEWER_PERMISSIONS = [
    "accounts.view_user",
    "accounts.view_workerprofile",
    "accounts.change_workerprofile",
    "accounts.view_verificationdecision",
    "accounts.view_skill",
    "tasks.view_project",
    "tasks.view_item",
    "quality.view_reviewqueueitem",
    "quality.change_reviewqueueitem",
    "quality.view_verificationsample",
    "quality.view_review",
    "quality.view_workerquality",
    "quality.view_projectquality",
]


def reviewer_group_sync():
    """Give the Reviewers group exactly the reviewer permissions that exist so far (idempotent)."""
    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    wanted = []
    for dotted in REVIEWER_PERMISSIONS:
        app_label, codename = dotted.split(".")
        wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)
    return group


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    """Set a user's role, and with it staff access and group membership, in one place."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    user.role = role
    user.is_staff = role in (Role.ADMIN, Role.REVIEWER)
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    reviewers = reviewer_group_sync()
    if role == Role.REVIEWER:
        user.groups.add(reviewers)
    else:
        user.groups.remove(reviewers)
    if role == Role.ANNOTATOR:
        WorkerProfile.objects.get_or_create(user=user)
    return user


@transaction.atomic
def user_create(*, email: str, password: str | None, role: str = Role.ANNOTATOR, username: str = "") -> User:
    """Create an account with its role (and a worker profile for annotators)."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"An account with {email} already exists."})
    user = User(username=username or _username_from_email(email), email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user_set_role(user=user, role=role)


def _username_from_email(email: str) -> str:
    base = email.split("@")[0][:100] or "user"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}{n}"
    return username


def annotator_register(*, user: User) -> WorkerProfile:
    """Called when someone signs up on the annotator pages: they are an annotator, unverified."""
    user_set_role(user=user, role=Role.ANNOTATOR)
    return user.worker_profile


@transaction.atomic
def verification_submit(*, profile: WorkerProfile, document, note: str, skills=()) -> WorkerProfile:
    """An annotator hands in their identity/qualification document; a reviewer will decide."""
    if profile.verification_status == VerificationStatus.VERIFIED:
        raise ValidationError("You are already verified.")
    if document is None:
        raise ValidationError({"document": "Upload an identity or qualification document."})
    if document.size > settings.VERIFICATION_DOCUMENT_MAX_BYTES:
        limit_mb = settings.VERIFICATION_DOCUMENT_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"document": f"The document is larger than {limit_mb} MB."})
    problem = document_problem(document.name, _head(document))
    if problem:
        raise ValidationError({"document": problem})
    profile = WorkerProfile.objects.select_for_update().get(pk=profile.pk)
    previous = profile.verification_document.name
    profile.verification_document = document
    profile.verification_note = note.strip()
    profile.verification_status = VerificationStatus.PENDING
    profile.verification_submitted_at = timezone.now()
    profile.verification_reason = ""
    profile.full_clean(exclude=["user"])
    profile.save()
    profile.skills.set(skills)
    if previous and previous != profile.verification_document.name:
        # An identity document is kept no longer than needed: the replaced one goes once the new one is stored.
        storage = profile.verification_document.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return profile


def _head(document) -> bytes:
    document.seek(0)
    head = document.read(HEAD_BYTES)
    document.seek(0)
    return head


def verification_approve(*, profile: WorkerProfile, reviewer: User, reason: str = "") -> WorkerProfile:
    return _verification_decide(profile=profile, reviewer=reviewer, status=VerificationStatus.VERIFIED, reason=reason)


def verification_reject(*, profile: WorkerProfile, reviewer: User, reason: str) -> WorkerProfile:
    if not reason.strip():
        raise ValidationError({"reason": "A rejection needs a reason: the annotator is shown it."})
    return _verification_decide(profile=profile, reviewer=reviewer, status=VerificationStatus.REJECTED, reason=reason)


@transaction.atomic
def _verification_decide(*, profile, reviewer, status, reason) -> WorkerProfile:
    if not (reviewer.is_admin or reviewer.is_reviewer):
        raise ValidationError("Only admins and reviewers decide verifications.")
    profile = WorkerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    profile.verification_status = status
    profile.verification_reason = reason.strip()
    profile.verification_decided_by = reviewer
    profile.verification_decided_at = timezone.now()
    profile.save(
        update_fields=[
            "verification_status",
            "verification_reason",
            "verification_decided_by",
            "verification_decided_at",
        ]
    )
    VerificationDecision.objects.create(profile=profile, status=status, reason=profile.verification_reason, decided_by=reviewer)
    transaction.on_commit(lambda: _verification_notify(profile))
    return profile


def _verification_notify(profile: WorkerProfile) -> None:
    outcome = "approved" if profile.is_verified else "rejected"
    body = f"Your CrowdLabel verification was {outcome}."
    if profile.verification_reason:
        body += f"\n\nReviewer's note: {profile.verification_reason}"
    send_mail(f"Verification {outcome}", body, None, [profile.user.email], fail_silently=True)


@transaction.atomic
def worker_suspend(*, profile: WorkerProfile, reason: str) -> WorkerProfile:
    if not reason.strip():
        raise ValidationError({"reason": "A suspension needs a reason: the worker is shown it."})
    updated = WorkerProfile.objects.filter(pk=profile.pk).update(
        suspended=True, suspended_reason=reason.strip(), suspended_at=timezone.now()
    )
    if not updated:
        raise WorkerProfile.DoesNotExist(profile.pk)
    profile.refresh_from_db()
    return profile


@transaction.atomic
def worker_unsuspend(*, profile: WorkerProfile) -> WorkerProfile:
    WorkerProfile.objects.filter(pk=profile.pk).update(suspended=False, suspended_reason="", suspended_at=None)
    profile.refresh_from_db()
    return profile


def admin_ensure(*, email: str, password: str | None) -> tuple[User, str | None]:
    """Make sure an admin account exists (for `make run` and deploys). Returns the account and, when a
    password had to be generated, that password, so the caller can print it once."""
    existing = User.objects.filter(role=Role.ADMIN, is_superuser=True).order_by("pk").first()
    if existing:
        return existing, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    user = user_create(email=email, password=password, role=Role.ADMIN, username="admin")
    email_address_mark_verified(user=user)
    return user, generated


@transaction.atomic
@transaction.atomic
def api_token_issue(*, user: User) -> tuple:
    """A new API token for an integrator (or admin), replacing their old one, which stops working at once.
    Returns (token, replaced): whether an old token was revoked, so the page says "created" the first time."""
    from rest_framework.authtoken.models import Token

    replaced, _ = Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user), bool(replaced)


def email_address_mark_verified(*, user: User) -> None:
    """Accounts created by an admin or a command need no confirmation mail to log in."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
