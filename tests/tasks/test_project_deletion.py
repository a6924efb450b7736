"""Deleting a project in batches (tasks/deletion.py): every row that belongs to it goes, another project's rows
stay, and the admin's delete counts instead of listing and hands the work to the background job."""

from decimal import Decimal

import pytest
from django.db.models.deletion import Collector
from django.utils import timezone

from annotations.models import Annotation
from quality.models import EarningsEntry, ItemDecision, Review, Suggestion, VerificationSample
from tasks import deletion
from tasks.models import Assignment, ImportJob, Item, Project, ProjectStatus
from tests.factories import PASSWORD, AdminFactory
from tests.quality.factories import ItemDecisionFactory, SampledReviewFactory, annotate
from tests.tasks.factories import ImportJobFactory, ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory
from tests.factories import verified_worker
from training.models import FeedbackEvent, ModelVersion, Prediction

pytestmark = pytest.mark.django_db


def _filled_project(items=5):
    """A project with a row in every table that refers to it or to its items."""
    project = ProjectFactory()
    worker = verified_worker()
    version = ModelVersionFactory(project=project)
    for n in range(items):
        item = ItemFactory(project=project)
        annotation = annotate(worker, item, "TV")
        EarningsEntry.objects.create(worker=worker, project=project, kind="reward", annotation=annotation,
                                     amount=Decimal("0.01"), currency="USD")
        Prediction.objects.create(item=item, model_version=version, label="TV", score=0.9)
        FeedbackEvent.objects.create(project=project, event_id=f"e{n}", item=item, predicted_label="TV", outcome=1,
                                     occurred_at=timezone.now())
    decided = ItemFactory(project=project)
    ItemDecisionFactory(item=decided)
    Suggestion.objects.create(item=ItemFactory(project=project), label="TV", confidence=0.5, method="dawid_skene")
    review = SampledReviewFactory(item=ItemFactory(project=project))
    review.sample.items.add(review.item)
    ImportJobFactory(project=project)
    return project


# Each table that holds the project's rows, and the path from it to the project.
TABLES = {
    "items": (Item, "project_id"), "assignments": (Assignment, "project_id"),
    "annotations": (Annotation, "project_id"), "decisions": (ItemDecision, "project_id"),
    "suggestions": (Suggestion, "item__project_id"), "reviews": (Review, "item__project_id"),
    "samples": (VerificationSample, "project_id"), "earnings": (EarningsEntry, "project_id"),
    "predictions": (Prediction, "model_version__project_id"), "feedback": (FeedbackEvent, "project_id"),
    "model versions": (ModelVersion, "project_id"), "import jobs": (ImportJob, "project_id"), "project": (Project, "pk"),
}


def _rows_of(project_id):
    return {name: model.objects.filter(**{path: project_id}).count() for name, (model, path) in TABLES.items()}


def test_a_project_is_deleted_in_batches_with_everything_that_refers_to_it_and_nothing_else():
    doomed, kept = _filled_project(), _filled_project()
    before_kept = _rows_of(kept.pk)
    assert all(_rows_of(doomed.pk).values())  # every table has a row to delete

    # Batches smaller than every table, so each loop runs several times.
    assert deletion.project_delete(project_id=doomed.pk, item_batch=3, row_batch=2) == 8

    assert _rows_of(doomed.pk) == dict.fromkeys(before_kept, 0)
    assert _rows_of(kept.pk) == before_kept


def test_django_collects_only_the_few_rows_left_at_the_end(monkeypatch):
    """Django's collector holds every row of the cascade in memory (about 1 GB for 1.5M items); here it is
    called last, for the project row and the handful of rows that remain (its run, model and sample)."""
    project = _filled_project(items=6)
    collected = []
    collect = Collector.collect

    def counting_collect(self, objs, *args, **kwargs):
        result = collect(self, objs, *args, **kwargs)
        collected.append(sum(len(instances) for instances in self.data.values()))
        return result

    monkeypatch.setattr(Collector, "collect", counting_collect)
    deletion.project_delete(project_id=project.pk, item_batch=4, row_batch=4)
    assert not Project.objects.filter(pk=project.pk).exists()
    # 9 items, 6 answers, 6 assignments, 6 earnings, ... would be 40 and more.
    assert 1 <= max(collected) <= 8


def test_deleting_a_missing_project_does_nothing():
    kept = _filled_project(items=1)
    assert deletion.project_delete(project_id=kept.pk + 1000) == 0
    assert Item.objects.filter(project=kept).count() == 4


def _admin_client(client):
    client.login(username=AdminFactory().username, password=PASSWORD)
    return client


def test_the_admin_confirmation_counts_the_rows_instead_of_listing_them(client):
    project = _filled_project(items=3)
    page = _admin_client(client).get(f"/admin/tasks/project/{project.pk}/delete/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<li>Items: 6</li>" in text and "<li>Assignments: 3</li>" in text and "<li>Import jobs: 1</li>" in text
    assert "with its answers, decisions, reviews, runs and models" in text
    assert "item-" not in text  # no item is listed by name


def test_the_admin_delete_closes_the_project_and_the_background_job_deletes_it(client, django_capture_on_commit_callbacks):
    project, kept = _filled_project(items=3), _filled_project(items=2)
    project.status = ProjectStatus.PUBLISHED
    project.save()
    admin_client = _admin_client(client)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(f"/admin/tasks/project/{project.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "being deleted in the background" in response.content.decode()
    # Until the job runs, the project is closed: nobody is handed its work.
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.CLOSED
    assert len(callbacks) == 1
    callbacks[0]()  # the job (Celery runs it in-process in tests)
    assert not Project.objects.filter(pk=project.pk).exists()
    assert _rows_of(project.pk)["annotations"] == 0
    assert _rows_of(kept.pk)["items"] == 5
