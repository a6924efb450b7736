"""The admin for the Trainer engine: a run's curves and checkpoints, resuming failed runs, versions side by side,
and the base model registry (licence and size shown; a folder is checked before it is registered)."""
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from tests.factories import AnnotatorFactory
from tests.training.factories import BaseModelFactory, ModelVersionFactory, RunFactory, sequence_metrics
from training import selectors
from training.admin.charts import curves_svg
from training.models import BaseModel, RunStatus, TrainingRun

pytestmark = pytest.mark.django_db
HISTORY = [{"step": 1, "loss": 1.1}, {"step": 5, "loss": 0.7}, {"step": 10, "loss": 0.4, "validation_loss": 0.5, "validation_score": 0.8}]


def test_a_run_page_draws_its_curves_and_lists_its_checkpoints(client, admin_user, settings, tmp_path):
    settings.TRAINING_DIR = tmp_path
    run = RunFactory(history=HISTORY)
    for step, complete in ((10, True), (20, True), (30, False)):  # 30: a worker killed while saving it
        folder = selectors.run_folder(run) / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    client.force_login(admin_user)
    page = client.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    assert page.count("<polyline") == 3 and "step 10" in page
    assert "step 10, step 20" in page and "step 30" not in page.split("Checkpoints")[1][:300]


def test_a_single_validation_still_shows_on_the_curves():
    """A one-epoch run validates once: a one-point polyline draws nothing, so every figure has its dot."""
    history = [{"step": 1, "loss": 2.3}, {"step": 14, "loss": 2.2},
               {"step": 14, "validation_loss": 2.25, "validation_score": 0.26}]
    svg = str(curves_svg(history))
    assert svg.count("<circle") == 4
    assert svg.count('r="2.5" fill="#44a048"') == 1 and svg.count('r="2.5" fill="#ba2121"') == 1  # validation dots
    assert ">0</text>" in svg  # both axes say where they start


def test_a_loss_that_moves_little_fills_the_chart_from_its_own_foot():
    """Drawn from 0, a loss from 2.32 to 1.87 was a flat line along the top of the chart."""
    svg = str(curves_svg([{"step": 1, "loss": 2.32}, {"step": 2, "loss": 2.1}, {"step": 3, "loss": 1.87}]))
    ys = [float(point.split(",")[1]) for point in svg.split('points="')[1].split('"')[0].split()]
    assert max(ys) - min(ys) > 0.8 * (220 - 2 * 36)  # the line spans most of the plot's height
    assert ">1.85</text>" in svg  # the foot says where the axis starts (1.87 less 5% of the range)


def test_the_resume_action_queues_failed_runs_only(client, admin_user, django_capture_on_commit_callbacks):
    failed, finished = RunFactory(status=RunStatus.FAILED), RunFactory(status=RunStatus.SUCCEEDED)
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks() as enqueued:
        client.post(reverse("admin:training_trainingrun_changelist"),
                    {"action": "resume", ACTION_CHECKBOX_NAME: [failed.pk, finished.pk]})
    assert TrainingRun.objects.get(pk=failed.pk).status == RunStatus.QUEUED and len(enqueued) == 1
    assert TrainingRun.objects.get(pk=finished.pk).status == RunStatus.SUCCEEDED


def test_a_runs_page_cancels_it_while_it_runs_and_resumes_it_once_it_failed(client, admin_user, settings, tmp_path,
                                                                            django_capture_on_commit_callbacks):
    """The list's actions, offered on the run's own page where the admin is watching it."""
    settings.TRAINING_DIR = tmp_path
    running, done = RunFactory(status=RunStatus.RUNNING), RunFactory(status=RunStatus.SUCCEEDED)
    client.force_login(admin_user)
    url = reverse("admin:training_trainingrun_change", args=[running.pk])
    assert 'value="cancel"' in client.get(url).content.decode()
    response = client.post(url, {"run_action": "cancel"})
    assert response.status_code == 302 and response.url == url
    assert TrainingRun.objects.get(pk=running.pk).cancel_requested

    TrainingRun.objects.filter(pk=running.pk).update(status=RunStatus.FAILED)
    page = client.get(url).content.decode()
    assert "Start again" in page and "No checkpoint was saved" in page and 'value="cancel"' not in page
    checkpoint = selectors.run_folder(running) / "checkpoints" / "checkpoint-10"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer_state.json").write_text("{}")
    assert "Resume from step 10" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks() as enqueued:
        client.post(url, {"run_action": "resume"})
    assert TrainingRun.objects.get(pk=running.pk).status == RunStatus.QUEUED and len(enqueued) == 1

    done_url = reverse("admin:training_trainingrun_change", args=[done.pk])
    assert 'name="run_action"' not in client.get(done_url).content.decode()
    client.post(done_url, {"run_action": "resume"})
    assert TrainingRun.objects.get(pk=done.pk).status == RunStatus.SUCCEEDED


def test_cancelling_says_what_each_run_does(client, admin_user):
    """Cancel is checked between steps: a run past its last step evaluates and exports to the end, and the
    message says so rather than 'asked to stop'."""
    runs = [RunFactory(status=RunStatus.QUEUED), RunFactory(status=RunStatus.RUNNING, progress_step=3, progress_total=8),
            RunFactory(status=RunStatus.RUNNING, progress_step=8, progress_total=8), RunFactory(status=RunStatus.SUCCEEDED)]
    client.force_login(admin_user)
    response = client.post(reverse("admin:training_trainingrun_changelist"),
                           {"action": "cancel", ACTION_CHECKBOX_NAME: [run.pk for run in runs]}, follow=True)
    said = " ".join(str(message) for message in response.context["messages"])
    assert "1 run(s) cancelled" in said and "1 run(s) asked to stop at their next step" in said
    assert "1 run(s) past their last step, evaluating and exporting: they end as they are" in said
    assert "1 run(s) already succeeded, left as they were" in said


def test_versions_side_by_side(client, admin_user):
    weaker = ModelVersionFactory(metrics=sequence_metrics(0.7))
    better = ModelVersionFactory(project=weaker.project, version=weaker.version + 1, metrics=sequence_metrics(0.9))
    client.force_login(admin_user)
    page = client.post(reverse("admin:training_modelversion_changelist"),
                       {"action": "compare", ACTION_CHECKBOX_NAME: [weaker.pk, better.pk]}).content.decode()
    assert "side by side" in page and "0.700" in page and "0.900" in page and "base model" in page


def test_the_registry_shows_licence_and_size_and_checks_the_folder(client, admin_user, tmp_path):
    BaseModelFactory(name="bert-base", licence="Apache-2.0", size_bytes=440_000_000)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:training_basemodel_changelist")).content.decode()
    assert "bert-base" in listing and "Apache-2.0" in listing and "440.0 MB" in listing
    add_form = client.get(reverse("admin:training_basemodel_add")).content.decode()
    assert "measured when registered" in add_form and "0.0 MB" not in add_form
    refused = client.post(reverse("admin:training_basemodel_add"), {"name": "up", "folder": f"{tmp_path}/../..", "licence": "x"})
    assert refused.status_code == 200 and "no config.json" in refused.content.decode()
    for name, text in (("config.json", '{"model_type": "bert"}'), ("model.safetensors", "w"), ("vocab.txt", "v")):
        (tmp_path / name).write_text(text)
    client.post(reverse("admin:training_basemodel_add"), {"name": "mine", "folder": str(tmp_path), "licence": "MIT"})
    assert BaseModel.objects.get(name="mine").size_bytes == 24


@pytest.mark.parametrize("files, refusal", [
    (None, "is not a folder on this server"),
    ({}, "no config.json"),
    ({"config.json": "not json"}, "cannot be read as JSON"),
    ({"config.json": "{}"}, "names no model_type"),
    ({"config.json": '{"model_type": "bert"}', "vocab.txt": "v"}, "has no weights"),
    ({"config.json": '{"model_type": "bert"}', "model.safetensors": "w"}, "has no tokenizer"),
])
def test_a_folder_that_cannot_train_is_refused_when_registered(client, admin_user, tmp_path, files, refusal):
    """Refused with its reason on the form, not minutes into a run under a torchrun traceback."""
    folder = tmp_path / "model"
    if files is not None:
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
    client.force_login(admin_user)
    refused = client.post(reverse("admin:training_basemodel_add"), {"name": "x", "folder": str(folder), "licence": "MIT"})
    assert refusal in refused.content.decode() and not BaseModel.objects.filter(name="x").exists()


@pytest.mark.parametrize("persona", [AnnotatorFactory, None])
def test_the_registry_and_the_run_pages_deny_the_outsider(client, persona):
    run = RunFactory()
    if persona:
        client.force_login(persona())
    for url in (reverse("admin:training_basemodel_changelist"), reverse("admin:training_trainingrun_change", args=[run.pk])):
        response = client.get(url)
        assert response.status_code in (302, 403)


def test_the_run_list_shows_what_tells_runs_apart_and_leaves_the_rest_to_each_runs_page(client, admin_user):
    """The list fits 1280 px (tests/training/test_browser_run_lists.py): a run's number, its project, its status
    with a bar while it has steps to go, its score, its version and when; task, loss and device on its page."""
    running = RunFactory(status=RunStatus.RUNNING, progress_step=30, progress_total=100, loss=0.4321, device="cuda:7")
    RunFactory(status=RunStatus.SUCCEEDED, progress_step=100, progress_total=100)
    client.force_login(admin_user)
    listing = client.get(reverse("admin:training_trainingrun_changelist")).content.decode()
    assert f">Run {running.pk}</a>" in listing and listing.count("<progress") == 1 and 'title="step 30 of 100"' in listing
    assert not any(f'class="field-{column}' in listing for column in ("task", "loss_rounded", "device", "__str__"))
    assert "cuda:7" not in listing and "0.432" not in listing
    page = client.get(reverse("admin:training_trainingrun_change", args=[running.pk])).content.decode()
    assert "cuda:7" in page and "0.432" in page
