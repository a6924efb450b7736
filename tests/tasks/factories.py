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
from tasks.models import Item, Project, TaskType


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


def _data_for(project: Project, n: int) -> dict:
    if project.task_type == TaskType.PAIRWISE:
        return {side: {field: f"{side} {field} {n}" for field in project.item_fields} for side in ("left", "right")}
    fields = schemas.required_fields(project.task_type, project.item_fields)
    return {
        field: f"https://example.com/{field}/{n}" if field in ("image", "audio") else f"{field} {n}" for field in fields
    }
