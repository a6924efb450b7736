"""Reads about projects and items."""

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts import selectors as account_selectors
from accounts.models import Role

from .models import Assignment, AssignmentState, Item, ItemState, Project


def projects_visible_to(*, user, token=None, roles=None):
    """The one answer to "which projects may this person (with this API token) act on": every project for
    superusers, else those of the organisations they are members of (with one of `roles`, when given); a
    token limited to one project narrows it to that project. Every integrator endpoint, and the staff
    admin, look projects up through here; anything else (items, answers, runs, models, exports) is reached
    through its project."""
    projects = Project.objects.all()
    organisation_ids = account_selectors.organisation_ids_of(user=user, roles=roles)
    if organisation_ids is not None:
        projects = projects.filter(organisation_id__in=organisation_ids)
    limited_to = getattr(token, "project_id", None)
    if limited_to is not None:
        projects = projects.filter(pk=limited_to)
    return projects


def project_reachable(*, user, project_id: int) -> bool:
    """Whether the user acts on this project: the API's own question, asked before a token is limited to it."""
    return projects_visible_to(user=user).filter(pk=project_id).exists()


def organisation_of(*, user, slug: str):
    """The organisation with this slug if the user acts in it (superusers: any), else None."""
    from accounts.models import Organisation

    organisation_ids = account_selectors.organisation_ids_of(user=user)
    organisations = Organisation.objects.filter(slug=slug)
    if organisation_ids is not None:
        organisations = organisations.filter(pk__in=organisation_ids)
    return organisations.first()


def _count_subquery(model, *, filter_q=Q(), outer="pk"):
    rows = (
        model.objects.filter(filter_q, project=OuterRef(outer))
        .order_by()
        .values("project")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def projects_with_progress(queryset=None):
    """Projects annotated with their progress, one subquery per figure (no row multiplication):
    items, gold items, labels collected, items accepted and items needing review."""
    queryset = Project.objects.all() if queryset is None else queryset
    return queryset.annotate(
        item_count=_count_subquery(Item),
        gold_count=_count_subquery(Item, filter_q=Q(is_gold=True)),
        labels_collected=_count_subquery(Assignment, filter_q=Q(state=AssignmentState.SUBMITTED)),
        accepted_count=_count_subquery(Item, filter_q=Q(state=ItemState.ACCEPTED)),
        needs_review_count=_count_subquery(Item, filter_q=Q(state=ItemState.NEEDS_REVIEW)),
    )


def percent_done(project) -> float:
    """Share of real items accepted, in percent. Gold items are never accepted (their answer is known), so
    counting them in the total left a finished project at 90% for good."""
    return _percent(project.accepted_count, project.item_count - project.gold_count)


def _percent(part: int, whole: int) -> float:
    return round(min(100.0, 100.0 * part / whole), 1) if whole > 0 else 0.0


def project_statistics(project: Project) -> dict:
    """Per-project figures for integrators and the admin."""
    states = dict(Item.objects.filter(project=project).values_list("state").annotate(n=Count("pk")))
    assignments = dict(
        Assignment.objects.filter(project=project).values_list("state").annotate(n=Count("pk"))
    )
    items = sum(states.values())
    gold = Item.objects.filter(project=project, is_gold=True).count()
    accepted = states.get(ItemState.ACCEPTED, 0)
    return {
        "items": items,
        "gold_items": gold,
        "items_by_state": {state: states.get(state, 0) for state in ItemState.values},
        "labels_collected": assignments.get(AssignmentState.SUBMITTED, 0),
        "live_assignments": assignments.get(AssignmentState.LIVE, 0),
        "labels_wanted": (items - gold) * project.overlap,
        "percent_done": _percent(accepted, items - gold),
    }


def item_media_allowed(*, user, item: Item, token=None) -> bool:
    """Who may see an item's uploaded file: staff, integrators and admins of the item's organisation (who own
    the data; a token limited to another project does not reach it), and the annotator who holds a live
    assignment of it; nobody else, not even another annotator of the project."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.role in (Role.INTEGRATOR, Role.ADMIN):
        return projects_visible_to(user=user, token=token).filter(pk=item.project_id).exists()
    return Assignment.objects.filter(item=item, worker=user, state=AssignmentState.LIVE).exists()


def project_is_complete(project: Project) -> bool:
    """Every real (non-gold) item is accepted, and there is at least one."""
    real = Item.objects.filter(project=project, is_gold=False)
    return real.exists() and not real.exclude(state=ItemState.ACCEPTED).exists()
