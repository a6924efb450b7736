"""The practice round a project may require before real work: practice items whose right answer and
explanation the worker sees after answering. Gold checks are the opposite (secret, scored) and never pass
through here.

Practice lives in its own two tables (PracticeItem, PracticeAnswer), so nothing that reads items or
annotations (assignment, progress, truth inference, worker scores, datasets, exports) can count it."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from . import schemas
from .models import PracticeAnswer, PracticeItem, Project


class PracticeNotFound(Exception):
    """No such practice item."""


@dataclass(frozen=True)
class PracticeTurn:
    """The practice item a worker answers next, and where they are in the round."""

    item: PracticeItem
    answered: int  # practice items this worker has answered in the project
    required: int  # the round's length: the project's practice_required, at most the practice items it has


@dataclass(frozen=True)
class PracticeFeedback:
    """What the worker learns after answering a practice item."""

    practice_answer: PracticeAnswer
    right_answer: object
    explanation: str
    answered: int
    required: int
    created: bool  # False when this was a retry of an answer already stored


def practice_next(*, worker, project: Project) -> PracticeTurn | None:
    """The worker's next practice item, or None once they have answered the project's practice_required
    (or every practice item it has, when it has fewer). The caller checks `project.practice_required`
    first, so projects without a round never pay for this query."""
    if not project.practice_required:
        return None
    answered = PracticeAnswer.objects.filter(worker=worker, project=project).count()
    if answered >= project.practice_required:
        return None
    item = PracticeItem.objects.filter(project=project).exclude(answers__worker=worker).order_by("pk").first()
    if item is None:
        return None
    return PracticeTurn(item, answered, _round_length(project))


def _round_length(project: Project) -> int:
    return min(project.practice_required, PracticeItem.objects.filter(project=project).count())


def practice_answer_clean(*, project: Project, data, answer):
    """The practice item's right answer in canonical form (SchemaError when it is not a valid answer for
    this project): checked when the item is saved, so the comparison with a worker's answer is exact."""
    text = data.get("text", "") if isinstance(data, dict) else ""
    return schemas.answer_clean(
        task_type=project.task_type, label_names=project.label_names, value=answer, text=text, fold_case=True
    )


def practice_item_for(*, practice_item_id: int) -> PracticeItem:
    """The practice item with its project (PracticeNotFound when there is none): the API checks the
    worker's eligibility on that project before they may answer."""
    item = PracticeItem.objects.select_related("project").filter(pk=practice_item_id).first()
    if item is None:
        raise PracticeNotFound(f"There is no practice item {practice_item_id}.")
    return item


def practice_answer_submit(*, worker, practice_item: PracticeItem, answer) -> PracticeFeedback:
    """Store the worker's answer to a practice item, once, and say whether it was right, what the right
    answer is and why. A malformed answer raises SchemaError and stores nothing; a retry returns the
    feedback on the first answer."""
    project = practice_item.project
    canonical = schemas.answer_clean(
        task_type=project.task_type, label_names=project.label_names, value=answer,
        text=practice_item.data.get("text", ""),
    )
    created = True
    try:
        with transaction.atomic():
            stored = PracticeAnswer.objects.create(
                project=project, practice_item=practice_item, worker=worker, answer=canonical,
                correct=canonical == practice_item.answer,
            )
    except IntegrityError:  # the unique (practice item, worker): answered before
        stored = PracticeAnswer.objects.get(practice_item=practice_item, worker=worker)
        created = False
    answered = PracticeAnswer.objects.filter(worker=worker, project=project).count()
    return PracticeFeedback(
        stored, practice_item.answer, practice_item.explanation, answered, _round_length(project), created
    )
