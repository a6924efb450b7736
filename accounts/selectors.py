"""Reads about people."""

import hashlib
import hmac
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Count, F, Q
from django.utils.module_loading import import_string

from .models import Qualification, QualificationGrant, User, VerificationStatus, WorkerProfile


def verification_queue_counts() -> dict:
    """How many worker profiles are in each verification state (one aggregate query)."""
    counts = WorkerProfile.objects.aggregate(
        **{status: Count("pk", filter=Q(verification_status=status)) for status in VerificationStatus.values},
        suspended=Count("pk", filter=Q(suspended=True)),
    )
    return counts


@dataclass(frozen=True)
class WorkerPools:
    """The named pools a worker belongs to: their groups and the qualifications they hold."""

    group_ids: frozenset
    qualification_ids: frozenset

    def admits(self, *, group_id: int | None, qualification_id: int | None) -> bool:
        """A pool of a group and/or a qualification admits members of either; no pool at all admits everyone."""
        if not group_id and not qualification_id:
            return True
        return group_id in self.group_ids or qualification_id in self.qualification_ids


def worker_pools(*, worker: User) -> WorkerPools:
    return WorkerPools(
        group_ids=frozenset(User.groups.through.objects.filter(user_id=worker.pk).values_list("group_id", flat=True)),
        qualification_ids=frozenset(
            QualificationGrant.objects.filter(worker_id=worker.pk).values_list("qualification_id", flat=True)
        ),
    )


def worker_suspension_problem(*, worker_id: int) -> str:
    """What a suspended worker is told when they try to work ('' when they are not suspended)."""
    reason = WorkerProfile.objects.filter(user_id=worker_id, suspended=True).values_list("suspended_reason", flat=True).first()
    return "" if reason is None else f"Your account is suspended: {reason}"


def api_tokens_of(*, user):
    """The user's tokens, live ones first, newest first."""
    from .models import ApiToken

    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").desc(nulls_first=True), "-created_at")


def api_tokens_manageable(*, user, by_token=None):
    """The live tokens a caller lists and revokes through the API, newest first: their own (an admin revokes
    other people's in the admin). Through a token limited to a project, only those limited to that project: a
    token reaches nothing broader than itself, as for the tokens it mints (services.api_token_create)."""
    from .models import ApiToken

    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if by_token is not None and by_token.project_id is not None:
        tokens = tokens.filter(project_id=by_token.project_id)
    return tokens.order_by("-created_at", "-pk")


def organisation_ids_of(*, user, roles=None) -> list[int] | None:
    """The organisations whose projects the user acts on; None means every one (superusers). `roles` limits
    it to memberships with those roles."""
    from .models import Membership

    if user.is_superuser:
        return None
    memberships = Membership.objects.filter(user_id=user.pk)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return list(memberships.values_list("organisation_id", flat=True))


def project_reachable(*, user, project_id: int) -> bool:
    """Whether the user acts on project `project_id` (the API would find it for them). Projects live in a higher
    app, which accounts never imports: the app that owns them names the function that answers in its AppConfig
    (`project_reachable`, a dotted path), as each app names its own staff permissions. No app answering is a no."""
    for config in django_apps.get_app_configs():
        answer = getattr(config, "project_reachable", None)
        if answer:
            return bool(import_string(answer)(user=user, project_id=project_id))
    return False


def _in_organisations_of(objects, *, user, organisation_id: int | None, lookup: str = "organisation_id"):
    """`objects` limited to the user's organisations (every one for superusers and for commands, user None),
    and to `organisation_id`'s alone when given (an existing project's)."""
    organisation_ids = None if user is None else organisation_ids_of(user=user)
    if organisation_ids is not None:
        objects = objects.filter(**{f"{lookup}__in": organisation_ids})
    if organisation_id is not None:
        objects = objects.filter(**{lookup: organisation_id})
    return objects


def qualifications_visible_to(*, user, organisation_id: int | None = None):
    """The qualifications a person sees and may name in a project's pool: their organisations' (every one for
    superusers and for commands, user None), only `organisation_id`'s when given (an existing project's)."""
    return _in_organisations_of(Qualification.objects.select_related("organisation"), user=user,
                                organisation_id=organisation_id)


def pool_groups_visible_to(*, user, organisation_id: int | None = None):
    """The groups a person sees and may name as a project's pool, as for qualifications: those that belong to
    one of their organisations (PoolGroup). A group that belongs to none is nobody's pool."""
    groups = Group.objects.filter(pool__isnull=False).select_related("pool__organisation").order_by("name")
    return _in_organisations_of(groups, user=user, organisation_id=organisation_id, lookup="pool__organisation_id")


def pool_group_organisation_id(*, group_id: int) -> int | None:
    """The organisation a group belongs to as a pool (None: it is no organisation's pool)."""
    from .models import PoolGroup

    return PoolGroup.objects.filter(group_id=group_id).values_list("organisation_id", flat=True).first()


def organisation_for_new_project(*, user):
    """Where a project the user creates goes: their organisation, else the default one for admins and for
    commands (user None). None when there is no answer: no organisation (an integrator nobody placed), or
    several (the caller must name one; choosing for them would put a tenant's project in another's hands)."""
    from .models import Membership, Organisation

    memberships = list(Membership.objects.filter(user_id=getattr(user, "pk", None)).select_related("organisation")[:2])
    if len(memberships) == 1:
        return memberships[0].organisation
    if memberships:
        return None
    if user is None or user.is_superuser:
        return Organisation.objects.filter(slug=Organisation.DEFAULT_SLUG).first()
    return None


def worker_pseudonym(worker_id: int) -> str:
    """How everyone but admins names a worker (API, results, exports, review queue): an HMAC of their id with
    the site's secret key, stable everywhere and over time, not reversible without the key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"worker:{worker_id}".encode(), hashlib.sha256).hexdigest()
    return f"w-{digest[:12]}"


def worker_name_for(*, viewer, worker) -> str:
    """How `viewer` sees a worker named: admins by username, everyone else (reviewers, project managers) by the
    pseudonym."""
    return worker.username if viewer.is_superuser else worker_pseudonym(worker.pk)
