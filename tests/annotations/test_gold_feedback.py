"""A worker's gold accuracy is delayed (checks answered before today only) and aggregated (whole batches of
GOLD_FEEDBACK_BATCH): it never changes right after an answer, so it cannot tell which item was a check."""

from datetime import datetime, timedelta, timezone

import pytest
from django.urls import reverse

from annotations.models import Annotation
from annotations.selectors import worker_gold_feedback
from tests.quality.factories import AnnotationFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_assignment import verified_worker

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
YESTERDAY = NOW - timedelta(days=1)


@pytest.fixture(autouse=True)
def _batch(settings):
    settings.GOLD_FEEDBACK_BATCH = 5


@pytest.fixture
def project():
    return ProjectFactory()


def _checks(worker, project, answers, when):
    for answer in answers:
        annotation = AnnotationFactory(assignment__item=ItemFactory(project=project, gold="TV"),
                                       assignment__worker=worker, answer=answer)
        Annotation.objects.filter(pk=annotation.pk).update(created_at=when)


def test_nothing_is_shown_before_a_whole_batch(project):
    worker = verified_worker()
    _checks(worker, project, ["TV"] * 4, YESTERDAY)
    assert worker_gold_feedback(worker=worker, now=NOW)["gold_accuracy"] is None


def test_a_whole_batch_from_before_today_is_shown(project):
    worker = verified_worker()
    _checks(worker, project, ["TV", "TV", "TV", "Phone", "TV"], YESTERDAY)
    assert worker_gold_feedback(worker=worker, now=NOW) == {"gold_checks": 5, "gold_accuracy": 80.0, "gold_batch": 5}


def test_todays_checks_and_a_partial_batch_change_nothing(project):
    worker = verified_worker()
    _checks(worker, project, ["TV"] * 5, YESTERDAY)
    before = worker_gold_feedback(worker=worker, now=NOW)
    _checks(worker, project, ["Phone"] * 6, NOW - timedelta(minutes=5))  # today: a whole batch, all wrong
    _checks(worker, project, ["Phone"] * 4, YESTERDAY + timedelta(hours=1))  # yesterday: not a whole batch
    assert worker_gold_feedback(worker=worker, now=NOW) == before == {
        "gold_checks": 5, "gold_accuracy": 100.0, "gold_batch": 5}
    # The next day, yesterday's partial batch is whole with the first of "today's" checks: oldest first.
    assert worker_gold_feedback(worker=worker, now=NOW + timedelta(days=1)) == {
        "gold_checks": 15, "gold_accuracy": round(100 * 5 / 15, 1), "gold_batch": 5}


def test_the_dashboard_shows_the_delayed_figure(client, project):
    worker = verified_worker()
    _checks(worker, project, ["TV"] * 5, datetime.now(timezone.utc) - timedelta(days=1))
    _checks(worker, project, ["Phone"], datetime.now(timezone.utc))
    client.force_login(worker)
    page = client.get(reverse("home")).content.decode()
    assert "100.0% of 5" in page and "batches of 5" in page
