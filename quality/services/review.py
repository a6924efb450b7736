"""Reviewers' adjudication and sampling verification.

A reviewer's decision is recorded with who and when (Review), becomes the item's label (ItemDecision with
source=reviewer), and counts as known truth the next time the project's answers are evaluated, so the
workers' estimated quality moves with it.
"""

import random

from django.db import transaction

from accounts.models import Role, User
from accounts.selectors import organisation_ids_of
from annotations import services as annotation_services
from tasks import schemas, transitions
from tasks.models import Item, ItemState, Project

from .. import signals
from ..models import DecisionSource, ItemDecision, Review, ReviewAction, Suggestion, VerificationSample
from .decisions import project_evaluation_schedule, suggestion_set


class ReviewError(Exception):
    pass


# Who adjudicates review items: a project manager does what a reviewer does (accounts.services.STAFF_GROUPS), and
# the admin shows them the queue; refusing them here left its buttons answering "only reviewers".
ADJUDICATING_ROLES = (Role.ADMIN, Role.REVIEWER, Role.PROJECT_MANAGER)


def _locked_for_review(item_id: int, reviewer: User) -> Item:
    if not (reviewer.is_superuser or reviewer.role in ADJUDICATING_ROLES):
        raise ReviewError("Only admins, reviewers and project managers adjudicate items.")
    item = Item.objects.select_for_update().select_related("project").get(pk=item_id)
    organisations = organisation_ids_of(user=reviewer)
    if organisations is not None and item.project.organisation_id not in organisations:
        # The admin lists no other organisation's items; this holds for any other caller of the service too.
        raise ReviewError("This item is not in a project of your organisation.")
    if item.state != ItemState.NEEDS_REVIEW:
        raise ReviewError(f"This item is {item.get_state_display().lower()}, not waiting for review.")
    return item


def _open_sample(item: Item):
    return item.verification_samples.order_by("-created_at").first()


@transaction.atomic
def review_pick_label(*, item_id: int, reviewer: User, label) -> ItemDecision:
    """The reviewer sets the item's label; it is accepted with certainty."""
    item = _locked_for_review(item_id, reviewer)
    project = item.project
    try:
        label = schemas.answer_clean(
            task_type=project.task_type, label_names=project.label_names, value=label, text=item.data.get("text", "")
        )
    except schemas.SchemaError as error:
        raise ReviewError(str(error)) from error
    return _decide(item, reviewer, label, ReviewAction.PICK_LABEL)


@transaction.atomic
def review_accept_suggestion(*, item_id: int, reviewer: User) -> ItemDecision:
    item = _locked_for_review(item_id, reviewer)
    suggestion = Suggestion.objects.filter(item=item).first()
    if suggestion is None:
        raise ReviewError("This item has no suggested label: pick one.")
    return _decide(item, reviewer, suggestion.label, ReviewAction.ACCEPT_SUGGESTION)


def _decide(item, reviewer, label, action) -> ItemDecision:
    previous = ItemDecision.objects.filter(item=item).values_list("label", flat=True).first()
    sample = _open_sample(item)
    Review.objects.create(item=item, reviewer=reviewer, action=action, label=label,
                          previous_label=previous, sample=sample if previous is not None else None)
    decision, _ = ItemDecision.objects.update_or_create(item=item, defaults={
        "project": item.project, "label": label, "confidence": 1.0, "source": DecisionSource.REVIEWER,
        "method": "reviewer", "answers_count": item.submitted_count, "decided_by": reviewer,
    })
    if transitions.item_accept(item_id=item.pk, source=ItemState.NEEDS_REVIEW):
        signals.item_accepted_send_on_commit(item_id=item.pk, project_id=item.project_id)
    Suggestion.objects.filter(item=item).delete()
    transaction.on_commit(lambda: project_evaluation_schedule(project_id=item.project_id))
    return decision


@transaction.atomic
def review_send_back(*, item_id: int, reviewer: User) -> Item:
    """Fresh annotation by new workers: the answers so far stop counting, the item gets its full overlap
    again, and the workers who answered it never see it again (their assignments say so)."""
    item = _locked_for_review(item_id, reviewer)
    Review.objects.create(item=item, reviewer=reviewer, action=ReviewAction.SEND_BACK)
    annotation_services.annotations_supersede(item_id=item.pk)
    ItemDecision.objects.filter(item=item).delete()
    Suggestion.objects.filter(item=item).delete()
    transitions.item_reopen(item_id=item.pk, open_slots=item.project.overlap)
    item.refresh_from_db()
    return item


@transaction.atomic
def verification_sample_create(*, project: Project, size: int, created_by: User | None = None,
                               rng: random.Random | None = None) -> VerificationSample:
    """Send a random sample of accepted items to review. The reviewers' agreement with the accepted labels
    estimates the dataset's accuracy (selectors.sample_agreement)."""
    if size <= 0:
        raise ReviewError("A sample needs at least one item.")
    accepted = list(Item.objects.filter(project=project, state=ItemState.ACCEPTED, decision__isnull=False).values_list("pk", flat=True))
    if not accepted:
        raise ReviewError("The project has no accepted items to sample.")
    chosen = (rng or random).sample(accepted, min(size, len(accepted)))
    sample = VerificationSample.objects.create(project=project, size=len(chosen), created_by=created_by)
    sample.items.set(chosen)
    for decision in ItemDecision.objects.filter(item_id__in=chosen):
        accepted_to_review(decision=decision)
    return sample


@transaction.atomic
def accepted_to_review(*, decision: ItemDecision, method: str = "") -> bool:
    """An accepted item goes back to a reviewer with its accepted label as the suggestion (a verification
    sample; a model that confidently disagrees, named in `method`). False when it was no longer accepted."""
    moved = transitions.items_send_to_review(item_ids=[decision.item_id], source=ItemState.ACCEPTED)
    if moved:
        suggestion_set(item_id=decision.item_id, label=decision.label, confidence=decision.confidence,
                       method=method or decision.method)
    return bool(moved)

