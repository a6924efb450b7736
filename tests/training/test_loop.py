"""The model back in the loop (pre-annotation, uncertainty order, suggestions, disagreement review),
exports with pseudonyms and masking, the beat launch, and the admin pages."""

import json
import random

import pytest
from django.urls import reverse

from annotations.models import Annotation
from quality.models import Suggestion
from tasks import assignment as assignment_service
from tasks.models import Item, ItemState
from tests.factories import AnnotatorFactory, IntegratorFactory, token_for
from tests.quality.factories import annotate
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker
from tests.training.tiny_models import accepted, launch
from training import predictions, services, snapshots
from training.celery_tasks import launch_due
from training.models import ModelVersion, Prediction, TrainingPolicy, TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_model(category_project, tiny_base_model, django_capture_on_commit_callbacks):
    # Trained harder than the run tests: these tests need confident predictions, not just a learning curve.
    run = launch(category_project, tiny_base_model, django_capture_on_commit_callbacks, epochs=30, learning_rate=3e-3)
    return services.model_version_activate(version=run.model_version)


def test_preannotation_stores_predictions_and_uncertainty(category_project, active_model):
    open_items = [ItemFactory(project=category_project, data={"title": t}) for t in ("cheap phone blue", "big oled small", "red freezer new")]
    progress = []
    assert predictions.items_preannotate(version=active_model, batch_size=2, on_progress=lambda *a: progress.append(a)) == 3
    assert progress == [(2, 3), (3, 3)]  # after each batch
    for item in open_items:
        item.refresh_from_db()
        prediction = Prediction.objects.get(item=item, model_version=active_model)
        assert 0 <= item.model_uncertainty <= 1 and item.model_uncertainty == pytest.approx(1 - prediction.score, abs=1e-5)
    assert Prediction.objects.get(item=open_items[0]).label == "phone"


def test_uncertainty_first_order_hands_out_the_least_certain_item(category_project):
    category_project.item_order = "uncertainty"
    category_project.save()
    sure, unsure, unscored = (ItemFactory(project=category_project, model_uncertainty=u) for u in (0.1, 0.6, -1.0))
    first = assignment_service.assignment_next(worker=verified_worker(), project=category_project, rng=random.Random(0))
    assert first.assignment.item_id == unsure.pk


def test_suggestions_reach_annotators_only_where_the_project_enables_them(api_client, category_project, active_model):
    item = ItemFactory(project=category_project, data={"title": "cheap smartphone case"})
    predictions.items_preannotate(version=active_model)
    worker = verified_worker()
    Item.objects.filter(project=category_project).exclude(pk=item.pk).update(open_slots=0)
    assignment = assignment_service.assignment_next(worker=worker, project=category_project).assignment
    url = reverse("api-assignment-suggestion", args=[assignment.pk])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(worker)}")
    assert api_client.get(url).json() == {"suggestion": None}
    category_project.show_model_suggestions = True
    category_project.save()
    assert api_client.get(url).json()["suggestion"]["label"] == "phone"
    # Someone else's assignment: nothing.
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(verified_worker())}")
    assert api_client.get(url).status_code == 404
    # A suggestion is never a vote.
    assert not Annotation.objects.exists()


def test_confident_disagreement_sends_an_accepted_item_to_review(category_project, active_model):
    wrong = accepted(category_project, {"title": "cheap iphone red"}, "fridge")
    flagged = predictions.disagreements_flag(version=active_model, min_score=0.4)
    wrong.refresh_from_db()
    assert flagged >= 1 and wrong.state == ItemState.NEEDS_REVIEW
    assert Suggestion.objects.get(item=wrong).label == "fridge"


def test_exports_name_workers_by_pseudonym_and_can_mask_personal_data(category_project):
    item = accepted(category_project, {"title": "phone, call +44 20 7946 0958 or mail ann@example.com"}, "phone")
    worker = verified_worker()
    annotate(worker, item, "phone")
    lines = [json.loads(line) for line in snapshots.export_jsonl(category_project, mask=True).splitlines()]
    row = next(line for line in lines if line["id"] == item.external_id)
    assert row["text"] == "phone, call [PHONE] or mail [EMAIL]" and row["label"] == "phone"
    assert row["answers"] == [{"worker": snapshots.worker_pseudonym(worker.pk), "answer": "phone"}]
    exported = snapshots.export_csv(category_project)
    assert worker.username not in exported and worker.email not in exported and "ann@example.com" in exported


def test_conll_export_for_span_projects():
    project = ProjectFactory(span=True, labels=["brand", "color"])
    accepted(project, {"text": "nike air red"}, [{"start": 0, "end": 4, "label": "brand"}, {"start": 9, "end": 12, "label": "color"}])
    assert snapshots.export_conll(project) == "nike\tB-brand\nair\tO\nred\tB-color\n"
    with pytest.raises(ValueError):
        snapshots.export_conll(ProjectFactory())


def test_export_api_for_integrators_only(api_client, category_project):
    url = reverse("api-project-export", args=[category_project.pk])
    assert api_client.get(url).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AnnotatorFactory())}")
    assert api_client.get(url).status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    response = api_client.get(url, {"export_format": "csv"})
    assert response.status_code == 200 and response.content.decode().startswith("id,text,label,answers")


def test_the_beat_job_launches_a_run_after_enough_new_labels(category_project, settings):
    TrainingPolicy.objects.create(project=category_project, enabled=True, min_new_labels=100)
    assert launch_due.delay().get() == []
    TrainingPolicy.objects.filter(project=category_project).update(min_new_labels=50)
    launched = launch_due.delay().get()
    assert len(launched) == 1 and TrainingRun.objects.get().project == category_project
    assert launch_due.delay().get() == []  # a run is already queued


def test_admin_launches_a_run_and_shows_its_progress(client, admin_user, category_project, tiny_base_model,
                                                    django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:training_trainingrun_add"), {
            "project": category_project.pk, "epochs": 2, "learning_rate": 0.001, "batch_size": 8, "max_length": 16,
            "seed": 13, "device": "cpu", "base_model": tiny_base_model.pk,
        })
    run = TrainingRun.objects.get()
    assert run.status == "succeeded"
    # The list says "Succeeded" alone (a bar only for a run that stopped short); the run's page has its bar.
    page = client.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    assert "<progress" in page and 'value="100.0"' in page


def test_training_pages_and_api_deny_outsiders(client, api_client, category_project, reviewer):
    client.force_login(AnnotatorFactory())
    assert client.get(reverse("admin:training_trainingrun_changelist")).status_code == 302
    client.force_login(reviewer)
    assert client.get(reverse("admin:training_trainingrun_add")).status_code == 403
    for url in (reverse("api-project-training-runs", args=[category_project.pk]),):
        assert api_client.post(url, {}, format="json").status_code == 401
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AnnotatorFactory())}")
        assert api_client.post(url, {}, format="json").status_code == 403
    assert not TrainingRun.objects.exists() and not ModelVersion.objects.exists()
