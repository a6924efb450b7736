"""Pre-annotation of a whole project as a job whose progress the admin shows: saved after each batch, its outcome
(done, or failed with the error) kept, and the version's page following it until it ends."""
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from tests.factories import AnnotatorFactory, IntegratorFactory, token_for
from tests.tasks.factories import ItemFactory
from tests.training.factories import ModelVersionFactory, PreannotationJobFactory
from training import predictions
from training.models import JobState, PreannotationJob, Prediction

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(monkeypatch):
    """The model's stand-in: answers "phone" and records what the job's row said when each batch came."""
    rows = []

    def predict(*, version, texts):
        rows.append(PreannotationJob.objects.values_list("state", "done", "total").get())
        return [{"label": "phone", "score": 0.9} for _ in texts]
    monkeypatch.setattr(predictions, "texts_predict", predict)
    return rows


def test_a_job_saves_its_progress_after_each_batch_and_ends_done(seen):
    version = ModelVersionFactory()
    for title in ("a", "b", "c"):
        ItemFactory(project=version.project, data={"title": title})
    job = PreannotationJobFactory(version=version)

    job = predictions.preannotation_job_run(job_id=job.pk, batch_size=2)

    assert seen == [("running", 0, 0), ("running", 2, 3)]  # the second batch saw the first one's progress
    assert (job.state, job.done, job.total, job.percent) == (JobState.DONE, 3, 3, 100.0) and job.finished_at
    assert Prediction.objects.filter(model_version=version).count() == 3


def test_a_failing_job_is_recorded_failed_with_its_error(monkeypatch):
    def broken(*, version, texts):
        raise OSError("model files are gone")
    monkeypatch.setattr(predictions, "texts_predict", broken)
    job = PreannotationJobFactory()
    ItemFactory(project=job.version.project)

    with pytest.raises(OSError):  # raised again, for the task's retries
        predictions.preannotation_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error == "OSError: model files are gone"


def test_the_admin_action_queues_a_job_whose_progress_the_versions_page_shows(client, admin_user, seen,
                                                                              django_capture_on_commit_callbacks):
    version = ModelVersionFactory()
    ItemFactory(project=version.project, data={"title": "a"})
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):  # the Celery task runs in-process (tests' eager mode)
        response = client.post(reverse("admin:training_modelversion_changelist"),
                               {"action": "preannotate", ACTION_CHECKBOX_NAME: [version.pk]}, follow=True)
    page_url = reverse("admin:training_modelversion_change", args=[version.pk])
    assert f'<a href="{page_url}">v{version.version}&#x27;s page</a> shows its progress' in response.content.decode()

    page = client.get(page_url).content.decode()
    assert "Done <progress" in page and "1 of 1 items (100.0%)" in page
    assert 'http-equiv="refresh"' not in page  # nothing left to follow


def test_the_versions_page_refreshes_while_a_job_runs(client, admin_user):
    job = PreannotationJobFactory(state=JobState.RUNNING, done=40, total=160)
    client.force_login(admin_user)
    page = client.get(reverse("admin:training_modelversion_change", args=[job.version.pk])).content.decode()
    assert "Running <progress" in page and "40 of 160 items (25.0%)" in page and 'http-equiv="refresh"' in page


@pytest.mark.parametrize("persona", [AnnotatorFactory, None])
def test_the_versions_page_with_its_jobs_denies_the_outsider(client, persona):
    job = PreannotationJobFactory(state=JobState.RUNNING, done=1, total=2)
    if persona:
        client.force_login(persona())
    response = client.get(reverse("admin:training_modelversion_change", args=[job.version.pk]))
    assert response.status_code in (302, 403) and "1 of 2 items" not in response.content.decode()


def test_the_api_shows_each_versions_latest_preannotation_read_only(api_client):
    version = ModelVersionFactory()
    PreannotationJobFactory(version=version, state=JobState.DONE, done=5, total=5)
    PreannotationJobFactory(version=version, state=JobState.RUNNING, done=3, total=12)
    bare = ModelVersionFactory(project=version.project)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")

    listed = api_client.get(reverse("api-project-model-versions", args=[version.project_id])).json()["results"]
    shown = {row["id"]: row["preannotation"] for row in listed}
    assert shown[bare.pk] is None
    assert {key: shown[version.pk][key] for key in ("state", "done", "total", "percent")} == \
        {"state": "running", "done": 3, "total": 12, "percent": 25.0}
    detail = api_client.get(reverse("api-model-version", args=[version.pk])).json()
    assert detail["preannotation"] == shown[version.pk]


def test_a_job_with_nothing_to_do_is_complete_and_says_why(client, admin_user):
    version = ModelVersionFactory()
    ItemFactory(project=version.project, data={"title": "a"}, is_gold=True, gold="phone")  # gold: not pre-annotated
    job = predictions.preannotation_job_run(job_id=PreannotationJobFactory(version=version).pk, batch_size=2)
    assert (job.state, job.total, job.percent) == (JobState.DONE, 0, 100.0)
    client.force_login(admin_user)
    page = client.get(reverse("admin:training_modelversion_change", args=[version.pk])).content.decode()
    assert "nothing to pre-annotate, the project had no open items" in page
