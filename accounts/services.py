"""Writes about people: roles, registration, verification, suspension, API tokens."""

import secrets

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from . import selectors, tokens
from .models import (
    STAFF_ROLES, ApiToken, Membership, MembershipRole, Organisation, Qualification, QualificationGrant, Role, Suspension, User,
    VerificationDecision, VerificationStatus, WorkerProfile,
)
from .signals import qualification_revoked, worker_suspended, worker_unsuspended
from .documents import HEAD_BYTES, document_problem

REVIEWERS_GROUP = "Reviewers"
PROJECT_MANAGERS_GROUP = "Project managers"
# Each staff role's group, and the AppConfig attributes that list its permissions. A project manager does
# what a reviewer does, and runs projects: create, edit, publish, import, training (their organisation's:
# the admin scopes every row by organisation); never people or tokens.
STAFF_GROUPS = {
    Role.REVIEWER: (REVIEWERS_GROUP, ["reviewer_permissions"]),
    Role.PROJECT_MANAGER: (PROJECT_MANAGERS_GROUP, ["reviewer_permissions", "project_manager_permissions"]),
}


def reviewer_permissions(attributes=("reviewer_permissions",)) -> list[str]:
    """What a reviewer (or with `attributes`, another staff role) may do in the admin: each app declares its
    own (its AppConfig's `reviewer_permissions`, `project_manager_permissions`), so this lowest app names no
    other's."""
    return [dotted for config in django_apps.get_app_configs() for attribute in attributes
            for dotted in getattr(config, attribute, [])]


def staff_groups_sync() -> dict:
    """Give each staff role's group exactly its permissions that exist so far (idempotent): {role: group}."""
    groups = {}
    for role, (name, attributes) in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in reviewer_permissions(attributes):
            app_label, codename = dotted.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
        groups[role] = group
    return groups


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    """Set a user's role, and with it staff access and group membership, in one place."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    user.role = role
    user.is_staff = role in STAFF_ROLES
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    for group_role, group in staff_groups_sync().items():
        if role == group_role:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    if role == Role.ANNOTATOR:
        WorkerProfile.objects.get_or_create(user=user)
    if role in MEMBER_ROLE_OF:
        _join_the_only_organisation(user=user, role=MEMBER_ROLE_OF[role])
    return user


# The organisation role a new integrator or reviewer takes where the install has a single organisation.
MEMBER_ROLE_OF = {Role.INTEGRATOR: MembershipRole.INTEGRATOR, Role.REVIEWER: MembershipRole.REVIEWER,
                  Role.PROJECT_MANAGER: MembershipRole.PROJECT_MANAGER}


def _join_the_only_organisation(*, user: User, role: str) -> None:
    """A single-organisation install (every fresh one) needs no membership management: a new integrator or
    reviewer joins it. Once there are several, an admin decides who belongs where: joining one by default
    would open a tenant's projects to someone meant for another."""
    if user.memberships.exists():
        return
    only = list(Organisation.objects.all()[:2])
    if len(only) == 1:
        Membership.objects.get_or_create(user=user, organisation=only[0], defaults={"role": role, "automatic": True})


def memberships_automatic_end(*, membership: Membership) -> int:
    """An admin placed someone in an organisation: the membership they got automatically (the install had one
    organisation then) ends, or they would go on seeing the default organisation's projects and creating theirs
    there. Returns how many ended."""
    if membership.automatic:
        return 0
    ended, _ = (Membership.objects.filter(user_id=membership.user_id, automatic=True)
                .exclude(pk=membership.pk).delete())
    return ended


def organisation_default() -> Organisation:
    """The install's default organisation (made by a migration; made again here if someone deleted it)."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=Organisation.DEFAULT_SLUG, defaults={"name": "Default organisation"})
    return organisation


def membership_add(*, user: User, organisation: Organisation, role: str) -> Membership:
    if user.role == Role.ANNOTATOR:
        raise ValidationError({"user": "Annotators are not members of organisations: they work for the crowd."})
    membership, _ = Membership.objects.update_or_create(user=user, organisation=organisation, defaults={"role": role})
    return membership


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


def worker_mark_verified(*, user: User) -> int:
    """Demo and simulated annotators are verified without a document or a reviewer (never real people:
    they go through verification_submit and a reviewer's decision)."""
    return WorkerProfile.objects.filter(user=user).update(verification_status=VerificationStatus.VERIFIED)


def _verification_notify(profile: WorkerProfile) -> None:
    outcome = "approved" if profile.is_verified else "rejected"
    body = f"Your CrowdLabel verification was {outcome}."
    if profile.verification_reason:
        body += f"\n\nReviewer's note: {profile.verification_reason}"
    send_mail(f"Verification {outcome}", body, None, [profile.user.email], fail_silently=True)


SUSPENDED_PREFIX = "Your account is suspended: "


@transaction.atomic
def worker_suspend(*, profile: WorkerProfile, reason: str, automatic: bool = False) -> Suspension | None:
    """The one way a worker is suspended (admin action, the hourly integrity job): the profile says so
    with the reason they are shown, W = 0 so no work is weighted their way, a Suspension row records it,
    and the `worker_suspended` receivers end their live work (tasks gives the slots back). None when the
    worker was suspended already (nothing changes)."""
    if not reason.strip():
        raise ValidationError({"reason": "A suspension needs a reason: the worker is shown it."})
    # Conditional on "not suspended yet": two concurrent suspensions write one row, never two.
    updated = WorkerProfile.objects.filter(pk=profile.pk, suspended=False).update(
        suspended=True, suspended_reason=reason.strip(), suspended_at=timezone.now(), weight=0.0
    )
    if not updated:
        return None
    suspension = Suspension.objects.create(worker_id=profile.user_id, reason=reason.strip(), automatic=automatic)
    worker_suspended.send(sender=WorkerProfile, worker_id=profile.user_id)
    profile.refresh_from_db()
    return suspension


@transaction.atomic
def worker_unsuspend(*, profile: WorkerProfile, by: User | None = None) -> bool:
    """Lift a suspension: the profile is active again, its Suspension rows are closed, and the
    `worker_unsuspended` receivers give it a fresh start (quality resolves the open flags, so the hourly
    job does not suspend again at once, and restores W to the prior). False when it was not suspended."""
    updated = WorkerProfile.objects.filter(pk=profile.pk, suspended=True).update(
        suspended=False, suspended_reason="", suspended_at=None
    )
    if not updated:
        return False
    Suspension.objects.filter(worker_id=profile.user_id, lifted_at__isnull=True).update(
        lifted_at=timezone.now(), lifted_by=by
    )
    worker_unsuspended.send(sender=WorkerProfile, worker_id=profile.user_id, by=by)
    profile.refresh_from_db()
    return True


def worker_weights_set(*, scores: dict[int, tuple[float, float | None]]) -> tuple[dict[int, float], int]:
    """Store W_i and Q per worker id ({user id: (W, Q or None to keep it)}): quality computes them, the
    profile holds them. A suspended worker keeps W = 0 whatever is passed: that rule lives here, with
    suspension. Returns the weights as stored (workers without a profile left out) and how many changed."""
    profiles = WorkerProfile.objects.filter(user_id__in=list(scores))
    stored, changed = {}, []
    for profile in profiles:
        weight, quality_score = scores[profile.user_id]
        weight = 0.0 if profile.suspended else weight
        quality_score = profile.quality_score if quality_score is None else quality_score
        stored[profile.user_id] = weight
        if profile.weight != weight or profile.quality_score != quality_score:
            profile.weight, profile.quality_score = weight, quality_score
            changed.append(profile)
    WorkerProfile.objects.bulk_update(changed, ["weight", "quality_score"], batch_size=1000)
    return stored, len(changed)


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


def api_token_create(*, user: User, name: str, project_id: int | None = None, read_only: bool = False,
                     by_token: ApiToken | None = None) -> tuple[ApiToken, str]:
    """A new named token (what it may reach is the API's business: roles and organisations). Returns (token, key): the key is shown once and never stored.
    A token limited to a project must name one the user acts on: one of another organisation's would grant
    nothing, and the holder would take it for a working token. The page and every other caller go through here.
    Minted with a token (`by_token`: the API's caller), the new one is no broader than that token, so a leaked
    limited token cannot widen itself (_project_of_minted)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token (where it is used), to know which one to revoke."})
    if by_token is not None:
        project_id = _project_of_minted(by_token=by_token, project_id=project_id)
    if project_id is not None and not selectors.project_reachable(user=user, project_id=project_id):
        # The same words for a project that does not exist: the refusal tells no one another tenant's ids.
        raise ValidationError({"project_id": f"You have no project {project_id}: a token can be limited only to a "
                                             "project of your organisations."})
    key = tokens.key_new()
    token = ApiToken.objects.create(user=user, name=name[:100], key_hash=tokens.key_hash(key), prefix=key[:8],
                                    project_id=project_id, read_only=read_only)
    return token, key


def _project_of_minted(*, by_token: ApiToken, project_id: int | None) -> int | None:
    """The project a token minted with `by_token` is limited to: a read-only token mints none (PermissionDenied);
    a token limited to a project mints only tokens limited to it (none named: that one; another: PermissionDenied).
    An unlimited token mints any token its user may hold."""
    if by_token.read_only:
        raise PermissionDenied("This token is read-only: it can only read, so it mints no tokens.")
    if by_token.project_id is None:
        return project_id
    if project_id is not None and project_id != by_token.project_id:
        raise PermissionDenied(f"This token is limited to project {by_token.project_id}: it mints only tokens limited "
                               f"to that project, not to project {project_id} (mint with a token for every project).")
    return by_token.project_id


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the user's tokens (admins: anyone's); it stops working at once. False if none was live."""
    tokens_of = ApiToken.objects.all() if user.is_superuser else ApiToken.objects.filter(user=user)
    return bool(tokens_of.filter(pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def email_address_mark_verified(*, user: User) -> None:
    """Accounts created by an admin or a command need no confirmation mail to log in."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def qualification_grant(
    *, qualification: Qualification, workers, source: str = QualificationGrant.Source.ADMIN, granted_by: User | None = None
) -> int:
    """Grant a qualification to annotators (others are skipped: only annotators work in pools). Returns how
    many grants are new; a worker who already holds it keeps their first grant (the unique constraint)."""
    annotators = [worker for worker in workers if worker.role == Role.ANNOTATOR]
    before = QualificationGrant.objects.filter(qualification=qualification).count()
    QualificationGrant.objects.bulk_create(
        [QualificationGrant(qualification=qualification, worker=worker, source=source, granted_by=granted_by)
         for worker in annotators],
        ignore_conflicts=True,
    )
    return QualificationGrant.objects.filter(qualification=qualification).count() - before


@transaction.atomic
def qualification_revoke(*, qualification: Qualification, workers) -> int:
    """Take a qualification back: the workers leave the pools that ask for it at once (tasks ends their
    assignments there, in this transaction)."""
    grants = QualificationGrant.objects.filter(qualification=qualification, worker__in=workers)
    worker_ids = list(grants.values_list("worker_id", flat=True))
    deleted, _ = grants.delete()
    if worker_ids:
        qualification_revoked.send(sender=Qualification, qualification_id=qualification.pk, worker_ids=worker_ids)
    return deleted
