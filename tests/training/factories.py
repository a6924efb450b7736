"""Training rows without training: a snapshot row, a run and the model version it produced, with the figures
a test chooses. For a real snapshot or model, use tests/training/tiny_models.py."""

import factory
from django.utils import timezone

from tests.tasks.factories import ProjectFactory
from training.models import (BaseModel, DatasetSnapshot, FeedbackEvent, FeedbackOutcome, ModelVersion, PreannotationJob,
                             RunStatus, TrainingRun)


def sequence_metrics(macro_f1: float, *, examples: int = 6) -> dict:
    split = {"accuracy": macro_f1, "macro_f1": macro_f1, "examples": examples,
             "per_label": {"phone": {"precision": macro_f1, "recall": macro_f1, "f1": macro_f1, "support": examples}}}
    return {"validation": split, "test": split}


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DatasetSnapshot

    project = factory.SubFactory(ProjectFactory)
    folder = factory.Sequence(lambda n: f"/nonexistent/snapshot-{n}")
    item_count = 60


class BaseModelFactory(factory.django.DjangoModelFactory):
    """A registry row only: its folder does not exist (launching from it is refused)."""

    class Meta:
        model = BaseModel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"base-{n}")
    folder = factory.Sequence(lambda n: f"/nonexistent/base-{n}")
    licence = "Apache-2.0"
    size_bytes = 90_000_000


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRun

    project = factory.SubFactory(ProjectFactory)
    base_model = factory.SubFactory(BaseModelFactory)
    snapshot = factory.SubFactory(SnapshotFactory, project=factory.SelfAttribute("..project"))
    task = "sequence"
    status = RunStatus.SUCCEEDED


class ModelVersionFactory(factory.django.DjangoModelFactory):
    """ModelVersionFactory(project=p, macro_f1=0.8): version numbers count up per test."""

    class Meta:
        model = ModelVersion

    class Params:
        macro_f1 = 0.8

    project = factory.SubFactory(ProjectFactory)
    run = factory.SubFactory(RunFactory, project=factory.SelfAttribute("..project"))
    version = factory.Sequence(lambda n: n + 1)
    folder = "/nonexistent/model"
    task = "sequence"
    metrics = factory.LazyAttribute(lambda version: sequence_metrics(version.macro_f1))


class PreannotationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreannotationJob

    version = factory.SubFactory(ModelVersionFactory)


class FeedbackEventFactory(factory.django.DjangoModelFactory):
    """A stored feedback event (the API's input is tests/training/feedback_events.py)."""

    class Meta:
        model = FeedbackEvent

    project = factory.SubFactory(ProjectFactory)
    event_id = factory.Sequence(lambda n: f"evt-{n}")
    text = factory.Sequence(lambda n: f"product title {n}")
    predicted_label = "TV"
    outcome = FeedbackOutcome.REPORTED_WRONG
    occurred_at = factory.LazyFunction(timezone.now)
