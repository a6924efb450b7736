"""Feedback into work: the project's rules pick reported-wrong, corrected, low-confidence and implicitly
disputed predictions; they become items (masked, deduplicated by content, first in line, marked feedback)."""

import pytest
from django.utils import timezone

from tasks.assignment import assignment_next
from tasks.models import Item, ItemSource, ItemState, ProjectStatus
from tests.factories import verified_worker
from tests.tasks.factories import ItemFactory, ProjectFactory
from training import feedback
from training.models import FeedbackEvent, FeedbackOutcome, FeedbackPolicy

pytestmark = pytest.mark.django_db


def event(project, number, outcome, text="iphone 8 64gb", **fields):
    return FeedbackEvent.objects.create(project=project, event_id=f"e{number}", text=text, predicted_label="TV",
                                        outcome=outcome, occurred_at=timezone.now(), **fields)


@pytest.fixture
def project():
    return ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1)


def feedback_titles(project):
    return sorted(Item.objects.filter(project=project, source=ItemSource.FEEDBACK).values_list("data__title", flat=True))


def test_the_rules_pick_what_disagrees_and_only_that(project):
    FeedbackPolicy.objects.create(project=project, low_confidence_below=0.3, min_signals=3)
    event(project, 1, FeedbackOutcome.REPORTED_WRONG, "reported")
    event(project, 2, FeedbackOutcome.CORRECTED, "corrected", corrected_label="Phone")
    event(project, 3, FeedbackOutcome.CLICKED, "unsure", confidence=0.1)
    event(project, 4, FeedbackOutcome.CLICKED, "sure", confidence=0.9)
    for number, outcome in enumerate([FeedbackOutcome.IGNORED] * 2 + [FeedbackOutcome.CLICKED], start=10):
        event(project, number, outcome, "ignored by shoppers")
    for number, outcome in enumerate([FeedbackOutcome.BOUGHT] * 2 + [FeedbackOutcome.IGNORED], start=20):
        event(project, number, outcome, "bought by shoppers")
    counts = feedback.feedback_to_items(project=project)
    assert counts == {"events": 10, "items": 4, "to_review": 0, "answers": 0}  # a shopper's correction is no answer
    assert feedback_titles(project) == ["corrected", "ignored by shoppers", "reported", "unsure"]
    assert not FeedbackEvent.objects.filter(processed=False).exists()
    assert feedback.feedback_to_items(project=project)["events"] == 0


def test_a_project_whose_rules_are_off_gets_no_items(project):
    FeedbackPolicy.objects.create(project=project, enabled=False)
    event(project, 1, FeedbackOutcome.REPORTED_WRONG)
    assert feedback.feedback_to_items(project=project)["items"] == 0


def test_personal_data_is_masked_before_an_annotator_sees_it(project):
    event(project, 1, FeedbackOutcome.REPORTED_WRONG,
          "wrong! mail me at jo@example.com or +44 20 7946 0958, see https://shop.example/p?session=abc @jo_b")
    feedback.feedback_to_items(project=project)
    assert feedback_titles(project) == ["wrong! mail me at [EMAIL] or [PHONE], see [URL] [HANDLE]"]


def test_content_already_in_the_project_or_repeated_is_not_added_again(project):
    ItemFactory(project=project, data={"title": "iphone 8 64gb"})
    event(project, 1, FeedbackOutcome.REPORTED_WRONG)
    event(project, 2, FeedbackOutcome.REPORTED_WRONG, "galaxy s9")
    event(project, 3, FeedbackOutcome.CORRECTED, "galaxy s9", corrected_label="Phone")
    assert feedback.feedback_to_items(project=project)["items"] == 1
    event(project, 4, FeedbackOutcome.REPORTED_WRONG, "galaxy s9")
    assert feedback.feedback_to_items(project=project)["items"] == 0
    assert feedback_titles(project) == ["galaxy s9"]


def test_feedback_items_are_first_in_line_for_the_crowd(project):
    for number in range(5):
        ItemFactory(project=project, data={"title": f"imported {number}"})
    event(project, 1, FeedbackOutcome.REPORTED_WRONG, "from the shop")
    feedback.feedback_to_items(project=project)
    served = assignment_next(worker=verified_worker(), project=project).assignment
    assert served.item.data == {"title": "from the shop"} and served.item.source == ItemSource.FEEDBACK


def test_a_report_on_an_accepted_item_sends_it_back_to_a_reviewer(project):
    item = ItemFactory(project=project, state=ItemState.ACCEPTED, external_id="sku-9")
    event(project, 1, FeedbackOutcome.REPORTED_WRONG, "", item=item)
    assert feedback.feedback_to_items(project=project)["to_review"] == 1
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW
