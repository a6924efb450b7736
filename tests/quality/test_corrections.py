"""A merchant's or an operator's correction is one more answer to its item, weighed by truth inference like a
worker's answer (a pseudo-worker per source), never the truth by fiat (issue 20)."""

import pytest
from django.utils import timezone

from quality.models import CorrectionAnswer, ItemDecision
from quality import selectors
from quality.services import correction_answers_record, decisions
from tasks.models import Item, ItemSource, ItemState, ProjectStatus
from tests.factories import verified_worker
from tests.quality.factories import AnnotationFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from training import feedback
from training.models import FeedbackActor, FeedbackEvent, FeedbackOutcome, FeedbackPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3, max_overlap=3,
                          accept_confidence=0.9)


@pytest.fixture
def crowd(project):
    """Four workers who agree on twelve items: the crowd's reliability is known to inference."""
    workers = [verified_worker() for _ in range(4)]
    for number in range(12):
        item = ItemFactory(project=project)
        for worker in workers:
            AnnotationFactory(assignment__item=item, assignment__worker=worker,
                              answer=["Phone", "TV", "CPU"][number % 3])
    return workers


def answered(project, workers, labels) -> Item:
    """A fully answered item (its slots taken, as the submissions would leave it)."""
    item = ItemFactory(project=project)
    for worker, label in zip(workers, labels):
        AnnotationFactory(assignment__item=item, assignment__worker=worker, answer=label)
    Item.objects.filter(pk=item.pk).update(state=ItemState.COLLECTING, open_slots=0, submitted_count=len(labels))
    return item


def correct(item, label, source="merchant"):
    return correction_answers_record(project=item.project, corrections=[(item.pk, source, label)])


def verdict(project, item):
    return decisions.project_infer(project=project)[item.pk]


def test_a_correction_alone_does_not_accept_the_item(project, crowd):
    item = ItemFactory(project=project)
    assert correct(item, "TV") == 1
    decisions.project_evaluate(project=project)
    item.refresh_from_db()
    assert item.state == ItemState.OPEN and not ItemDecision.objects.filter(item=item).exists()
    # Its label is inferred like any answer's, not taken as the truth: one new source's word is not enough.
    alone = verdict(project, item)
    assert alone.label == "TV" and alone.confidence < project.accept_confidence


def test_a_correction_agreeing_with_the_crowd_raises_the_confidence(project, crowd):
    item = answered(project, crowd[:3], ["TV", "TV", "Phone"])
    before = verdict(project, item)
    correct(item, "TV")
    after = verdict(project, item)
    assert before.label == after.label == "TV"
    assert after.confidence > before.confidence + 0.01, (before.confidence, after.confidence)


def test_a_correction_against_a_strong_crowd_loses(project, crowd):
    item = answered(project, crowd[:3], ["TV", "TV", "TV"])
    correct(item, "Phone")
    assert verdict(project, item).label == "TV"
    decisions.project_evaluate(project=project)
    assert ItemDecision.objects.get(item=item).label == "TV"


def test_the_merchant_is_weighed_by_its_record_like_a_worker(project, crowd):
    """Two sources, one (the merchant) who agreed with the crowd on ten items and one (the operator) who
    contradicted it, one way or another: on an item the crowd splits, the first one's correction carries it,
    the second one's counts for little."""
    trusted, doubted = (answered(project, crowd[:2], ["TV", "Phone"]) for _ in range(2))
    for number in range(10):
        agreed = answered(project, crowd[:3], ["CPU"] * 3)
        correct(agreed, "CPU", source="merchant")
        contradicted = answered(project, crowd[:3], ["CPU"] * 3)
        correct(contradicted, ["TV", "Phone"][number % 2], source="operator")
    correct(trusted, "Phone", source="merchant")
    correct(doubted, "Phone", source="operator")
    verdicts = decisions.project_infer(project=project)
    assert verdicts[trusted.pk].label == "Phone"
    assert verdicts[trusted.pk].confidence > verdicts[doubted.pk].confidence + 0.1


def test_a_later_correction_replaces_the_earlier_and_foreign_items_are_left_out(project):
    item = ItemFactory(project=project)
    other_project_item = ItemFactory()
    stored = correction_answers_record(project=project, corrections=[
        (item.pk, "merchant", "TV"), (item.pk, "merchant", "CPU"), (other_project_item.pk, "merchant", "TV"),
        (item.pk, "merchant", "not a label")])
    assert stored == 1
    assert list(CorrectionAnswer.objects.values_list("item", "source", "answer")) == [(item.pk, "merchant", "CPU")]
    correct(item, "Phone")
    assert CorrectionAnswer.objects.get().answer == "Phone"


def test_span_and_multi_label_projects_take_no_correction_as_an_answer():
    for project in (ProjectFactory(span=True), ProjectFactory(multi_label=True)):
        assert correct(ItemFactory(project=project), "PER" if project.task_type == "span" else "TV") == 0
    assert not CorrectionAnswer.objects.exists()


# --- From the shop's feedback -----------------------------------------------------------------------

def event(project, number, text, actor=FeedbackActor.MERCHANT, outcome=FeedbackOutcome.CORRECTED, **fields):
    return FeedbackEvent.objects.create(project=project, event_id=f"e{number}", text=text, predicted_label="TV",
                                        outcome=outcome, corrected_label="Phone" if outcome == FeedbackOutcome.CORRECTED
                                        else "", actor=actor, occurred_at=timezone.now(), **fields)


def test_merchants_and_operators_corrections_become_answers_to_the_items_they_make(project):
    event(project, 1, "galaxy s9 call 020 7946 0958")
    event(project, 2, "pixel 7", actor=FeedbackActor.OPERATOR)
    event(project, 3, "iphone 12", actor=FeedbackActor.SHOPPER)  # anyone can send one: a signal, not an answer
    counts = feedback.feedback_to_items(project=project)
    assert counts["items"] == 3 and counts["answers"] == 2
    made = dict(Item.objects.filter(project=project, source=ItemSource.FEEDBACK).values_list("data__title", "pk"))
    answers = set(CorrectionAnswer.objects.values_list("item", "source", "answer"))
    assert answers == {(made["galaxy s9 call [PHONE]"], "merchant", "Phone"), (made["pixel 7"], "operator", "Phone")}


def test_a_correction_feeds_the_item_it_names_or_whose_text_is_already_there(project):
    named = ItemFactory(project=project, state=ItemState.ACCEPTED, external_id="sku-1")
    made_before = ItemFactory(project=project, data={"title": "pixel 7"})
    event(project, 1, "", item=named)
    event(project, 2, "pixel 7")
    assert feedback.feedback_to_items(project=project)["answers"] == 2
    assert set(CorrectionAnswer.objects.values_list("item", flat=True)) == {named.pk, made_before.pk}


def test_a_project_can_keep_corrections_out_of_the_answers(project):
    FeedbackPolicy.objects.create(project=project, corrections_as_answers=False)
    event(project, 1, "galaxy s9")
    counts = feedback.feedback_to_items(project=project)
    assert counts["items"] == 1 and counts["answers"] == 0 and not CorrectionAnswer.objects.exists()


def test_the_reviewer_sees_the_shops_correction_among_the_answers(project, crowd):
    item = answered(project, crowd[:2], ["TV", "Phone"])
    correct(item, "Phone", source="operator")
    answers = selectors.item_answers_with_quality(item)
    assert [a["answer"] for a in answers] == ["TV", "Phone", "Phone"]
    assert answers[-1]["worker"] == "Operator (the shop's correction)" and answers[-1]["accuracy"] is None
