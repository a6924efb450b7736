"""Projects and items. A project's label schema goes through schemas.label_schema_clean, and an item's
content_hash is computed the way the importer computes it, so factory rows look like imported ones.

    ProjectFactory()                                  # single-label, labels Phone/TV/CPU, item field "title"
    ProjectFactory(labels=["A", "B"], item_fields=["title", "description"])
    ProjectFactory(span=True) / (multi_label=True) / (pairwise=True)
    ItemFactory(project=project, gold="Phone")        # a gold item (is_gold follows gold)
"""

import factory

from accounts.services import organisation_default
from tasks import schemas
from tasks.importing import data_content_hash
from tasks.models import Assignment, AssignmentState, ImportJob, Item, ItemState, Project, TaskType


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    class Params:
        labels = ["Phone", "TV", "CPU"]
        multi_label = factory.Trait(task_type=TaskType.MULTI_LABEL)
        span = factory.Trait(task_type=TaskType.SPAN, item_fields=["text"], labels=["PER", "ORG", "LOC"])
        pairwise = factory.Trait(task_type=TaskType.PAIRWISE, labels=["Same product", "Different products"])

    title = factory.Sequence(lambda n: f"Project {n}")
    organisation = factory.LazyFunction(organisation_default)
    task_type = TaskType.SINGLE_LABEL
    label_schema = factory.LazyAttribute(lambda project: schemas.label_schema_clean({"labels": project.labels}))
    item_fields = factory.LazyFunction(lambda: ["title"])


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    project = factory.SubFactory(ProjectFactory)
    external_id = factory.Sequence(lambda n: f"item-{n}")
    data = factory.LazyAttributeSequence(lambda item, n: _data_for(item.project, n))
    content_hash = factory.LazyAttribute(lambda item: data_content_hash(item.data))
    gold = None
    is_gold = factory.LazyAttribute(lambda item: item.gold is not None)
    open_slots = factory.LazyAttribute(lambda item: item.project.overlap)  # a new item's slots: the overlap


class ImportJobFactory(factory.django.DjangoModelFactory):
    """A finished background import that failed on one row (its staged file is gone, as after any run)."""

    class Meta:
        model = ImportJob

    project = factory.SubFactory(ProjectFactory)
    filename = "items.csv"
    staged = "0" * 32
    state = "failed"
    errors = factory.LazyFunction(lambda: [{"line": 2, "reason": "title is empty."}])
    error_count = 1


def _data_for(project: Project, n: int) -> dict:
    if project.task_type == TaskType.PAIRWISE:
        return {side: {field: f"{side} {field} {n}" for field in project.item_fields} for side in ("left", "right")}
    fields = schemas.required_fields(project.task_type, project.item_fields)
    return {
        field: f"https://example.com/{field}/{n}" if field in ("image", "audio") else f"{field} {n}" for field in fields
    }


def took_work_recently(project, workers, items_each):
    """Each worker started (and answered) `items_each` items of the project a moment ago: the crowd's pace
    in the competition window, which is the demand that the weighted gate compares with the supply."""
    for worker in workers:
        done = ItemFactory.create_batch(items_each, project=project, open_slots=0, state=ItemState.ACCEPTED)
        Assignment.objects.bulk_create(
            Assignment(project=project, item=item, worker=worker, state=AssignmentState.SUBMITTED) for item in done
        )


# Ten workers' weights W_i, for tests of how contested work is shared by T_i = W_i / ΣW_j.
WEIGHTS = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]
