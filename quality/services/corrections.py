"""Merchants' and operators' corrections as answers (the live shop's feedback, issue 20): one more answer to
the item from a pseudo-worker per source, weighed by inference like any worker's, never the truth by fiat.

Why a pseudo-worker and not a fixed weight: a merchant is sometimes right where the crowd is not (they know
their catalogue) and sometimes wrong (a correction to push a product into a better-selling category). How
much their word is worth differs by shop and by project, and the project's own answers say it: the EM scores
the merchant on the items they share with the crowd and on the known truth (gold answers, reviewer
decisions), exactly as it scores a worker, and starts them as it starts any new worker. So a correction
agreeing with the crowd raises the item's confidence, one against a strong crowd loses, and a merchant who
keeps contradicting gold soon counts for little.
"""

from tasks.models import Item, Project
from tasks.schemas import SINGLE_ANSWER_TYPES, SchemaError, answer_clean

from ..models import CorrectionAnswer, CorrectionSource

PSEUDO_WORKER_PREFIX = "correction:"


def pseudo_worker(source: str) -> str:
    """The worker id a source's answers carry in inference: never a number, so never a real worker's id."""
    return f"{PSEUDO_WORKER_PREFIX}{source}"


def correction_answers_record(*, project: Project, corrections: list[tuple[int, str, str]]) -> int:
    """Store (item id, source, label) corrections of the project's items as answers; a later correction by
    the same source on the same item replaces the earlier one (the last in the list wins). Items of another
    project, unknown sources and labels that are not one of the project's are left out, and so is every
    correction of a project whose answers are not a single label (a corrected label says nothing about spans
    or label sets). Returns how many were stored."""
    if project.task_type not in SINGLE_ANSWER_TYPES:
        return 0
    latest = {}
    for item_id, source, label in corrections:
        if source not in CorrectionSource.values:
            continue
        try:
            answer = answer_clean(task_type=project.task_type, label_names=project.label_names, value=label)
        except SchemaError:
            continue
        latest[(item_id, source)] = answer
    own = set(Item.objects.filter(project=project, pk__in={item_id for item_id, _ in latest})
              .values_list("pk", flat=True))
    rows = [CorrectionAnswer(item_id=item_id, project=project, source=source, answer=answer)
            for (item_id, source), answer in latest.items() if item_id in own]
    # One statement, so two passes storing the same item's correction never collide on the constraint.
    CorrectionAnswer.objects.bulk_create(rows, update_conflicts=True, unique_fields=["item", "source"],
                                         update_fields=["answer", "updated_at"])
    return len(rows)
