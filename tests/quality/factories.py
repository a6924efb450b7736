"""Quality-stage rows for tests: answers (with the assignment each one needs), decisions, sampled reviews
and a project's calibration as the project evaluation writes it.

    AnnotationFactory(assignment__item=item, answer="TV")   # a submitted answer by a new annotator
    ProjectCalibrationFactory(project=p, holdout=[[0.95, 1], [0.6, 0]])
    SampledReviewFactory(item=item, previous_label="TV", label="Phone")   # a sampled item the reviewer changed
"""

from datetime import timedelta

import factory
from django.utils import timezone

from annotations.models import Annotation
from quality.models import CalibrationSource, DecisionSource, ItemDecision, ProjectCalibration, Review, ReviewAction, VerificationSample
from tasks.models import Assignment, AssignmentState
from tests.factories import AnnotatorFactory, ReviewerFactory
from tests.tasks.factories import ItemFactory, ProjectFactory


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    item = factory.SubFactory(ItemFactory)
    project = factory.SelfAttribute("item.project")
    worker = factory.SubFactory(AnnotatorFactory)
    state = AssignmentState.SUBMITTED
    is_gold = factory.SelfAttribute("item.is_gold")
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.SelfAttribute("started_at")


class AnnotationFactory(factory.django.DjangoModelFactory):
    """Item, project and worker come from the assignment: AnnotationFactory(assignment__item=item)."""

    class Meta:
        model = Annotation

    assignment = factory.SubFactory(AssignmentFactory)
    item = factory.SelfAttribute("assignment.item")
    project = factory.SelfAttribute("assignment.project")
    worker = factory.SelfAttribute("assignment.worker")
    is_gold = factory.SelfAttribute("assignment.is_gold")
    answer = "TV"
    seconds_spent = 10.0


class ItemDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemDecision

    item = factory.SubFactory(ItemFactory, state="accepted")
    project = factory.SelfAttribute("item.project")
    label = "TV"
    confidence = 0.95
    source = DecisionSource.INFERRED
    method = "dawid_skene"
    answers_count = 3


class SampledReviewFactory(factory.django.DjangoModelFactory):
    """A reviewer's decision on an item of a verification sample (previous_label: the accepted label)."""

    class Meta:
        model = Review

    item = factory.SubFactory(ItemFactory)
    reviewer = factory.SubFactory(ReviewerFactory)
    action = ReviewAction.PICK_LABEL
    previous_label = "TV"
    label = "TV"
    sample = factory.LazyAttribute(
        lambda review: VerificationSample.objects.create(project=review.item.project, size=1)
    )


class ProjectCalibrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectCalibration

    project = factory.SubFactory(ProjectFactory)
    method = "dawid_skene"
    correlation = 0.15
    source = CalibrationSource.KNOWN_TRUTH
    holdout = factory.LazyFunction(list)
    known_truth = factory.LazyAttribute(lambda calibration: len(calibration.holdout))
    model_evidence = factory.LazyFunction(lambda: {"dawid_skene": -0.41, "one_coin": -0.45})


def annotate(worker, item, answer, seconds=10.0, when=None) -> Annotation:
    """The worker's submitted answer to the item, with its assignment; `when` backdates it."""
    now = when or timezone.now()
    assignment = AssignmentFactory(item=item, worker=worker, started_at=now, expires_at=now + timedelta(minutes=10))
    annotation = AnnotationFactory(assignment=assignment, answer=answer, seconds_spent=seconds)
    if when:
        Annotation.objects.filter(pk=annotation.pk).update(created_at=when)
    return annotation


def scored_worker(project):
    """A verified worker with one answer another worker agrees with and one gold check answered right, after
    the scoring job ran (so they have a WorkerScore, a weight and a Q)."""
    from quality.services import scores
    from tests.factories import verified_worker

    worker, other = verified_worker(), verified_worker()
    item = ItemFactory(project=project)
    annotate(worker, item, "TV")
    annotate(other, item, "TV")
    annotate(worker, ItemFactory(project=project, gold="TV"), "TV")
    scores.worker_weights_recompute()
    return worker
