"""Submission: the one way an answer gets in, used by the pages and by the API."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts import selectors as accounts_selectors
from core import rawsql
from tasks import assignment as assignment_service
from tasks import schemas
from tasks.assignment import AssignmentError
from tasks.schemas import SchemaError

from . import submit_sql
from .models import Annotation
from .signals import annotation_submitted


@dataclass
class Submitted:
    annotation: Annotation
    created: bool  # False when this was a retry of a submission already stored


def annotation_submit(*, worker, assignment_id: int, answer) -> Submitted:
    """Validate the answer against the project's label schema and store it, once.

    Refuses (nothing stored): a malformed answer (SchemaError), someone else's or a finished assignment,
    an expired lease (AssignmentError; the slot goes back to the pool), a suspended worker or one who left
    the project's pool (NotEligible with the reason: both end their assignments). A retried submission returns the annotation stored the
    first time, never a second one."""
    try:
        return Submitted(_store(worker, assignment_id, answer), created=True)
    except AssignmentError as error:
        if error.code == "expired":
            assignment_service.assignment_expire(assignment_id=assignment_id)
        # A retry (or two identical submissions at once: the second's conditional write found the
        # assignment submitted) returns the first annotation.
        first = _already_submitted(worker, assignment_id)
        if first:
            return Submitted(first, created=False)
        # Asked only once the write failed, so the hot path pays nothing for it.
        refusal = accounts_selectors.worker_suspension_problem(worker_id=worker.pk) or (
            assignment_service.pool_problem_of_assignment(assignment_id=assignment_id, worker=worker))
        if refusal:
            raise assignment_service.NotEligible(refusal) from error
        raise


def _already_submitted(worker, assignment_id) -> Annotation | None:
    return Annotation.objects.filter(assignment_id=assignment_id, worker=worker).first()


def _store(worker, assignment_id, answer) -> Annotation:
    now = timezone.now()
    assignment = assignment_service.assignment_for_submit(assignment_id=assignment_id, worker=worker, now=now)
    left_pool = assignment_service.assignment_pool_problem(assignment=assignment, worker=worker)
    if left_pool:
        raise assignment_service.NotEligible(left_pool)
    item, project = assignment.item, assignment.project
    canonical = schemas.answer_clean(
        task_type=project.task_type, label_names=project.label_names, value=answer, text=item.data.get("text", "")
    )
    annotation = Annotation(
        project=project, item=item, worker=worker, assignment=assignment, answer=canonical,
        is_gold=assignment.is_gold, seconds_spent=max(0.0, (now - assignment.started_at).total_seconds()),
    )
    if not submit_sql.answer_store(annotation, assignment=assignment, now=now):
        # Something else finished the assignment between the read and the write: say what.
        assignment_service.assignment_for_submit(assignment_id=assignment_id, worker=worker, now=timezone.now())
        raise AssignmentError("This assignment is no longer live.", "not_live")
    transaction.on_commit(
        lambda: annotation_submitted.send(
            sender=Annotation, annotation_id=annotation.pk, item_id=item.pk, project_id=project.pk
        )
    )
    return annotation


@dataclass
class Undone:
    assignment: object  # the reopened, live Assignment with its item and project
    answer: object  # the withdrawn answer, for the page to show as the starting choice


@transaction.atomic
def annotation_undo(*, worker, assignment_id: int) -> Undone:
    """Withdraw the worker's last answer while its lease runs and its item is undecided: the assignment
    is live again (tasks releases the item they took next) and the answer row is deleted, not
    superseded, because one answer per worker and item is a constraint and they will answer again.

    Raises NotEligible (suspended, project no longer handing out work) or AssignmentError (see
    tasks.assignment.assignment_reopen); nothing changes then."""
    assignment = assignment_service.assignment_reopen(assignment_id=assignment_id, worker=worker)
    eligibility = assignment_service.worker_eligibility(worker=worker, project=assignment.project)
    if not eligibility:
        raise assignment_service.NotEligible(eligibility.problem, visible=eligibility.visible)  # rolls the reopening back
    answer = Annotation.objects.filter(assignment_id=assignment_id, worker=worker).values_list("answer", flat=True).first()
    deleted, _ = Annotation.objects.filter(assignment_id=assignment_id, worker=worker).delete()
    if deleted != 1:
        # A submitted assignment without its answer row: only simulations make those; refuse, change nothing.
        raise AssignmentError("There is no stored answer to undo.", "not_live")
    return Undone(assignment, answer)


def annotations_supersede(*, item_id: int) -> int:
    """The item's answers so far stop counting (a reviewer sent it back); they stay stored for the record."""
    return Annotation.objects.filter(item_id=item_id, superseded=False).update(superseded=True)


__all__ = ["annotation_submit", "annotation_undo", "Submitted", "Undone", "SchemaError", "AssignmentError"]


ANNOTATION_TABLE = Annotation._meta.db_table


def annotations_of_items_delete(*, item_ids: list[int]) -> int:
    """Delete the answers to these items (a batch of a project being deleted, tasks/deletion.py); returns how
    many. One statement: Django's cascade would load every answer first."""
    where, params = rawsql.among("item_id", item_ids)
    return rawsql.rowcount(f"DELETE FROM {ANNOTATION_TABLE} WHERE {where}", params)
