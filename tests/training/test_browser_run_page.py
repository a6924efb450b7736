"""A training run's page in a real headless Chromium: its Cancel button is one of the pills beside History."""

import pytest

from tests.browser import BROWSER_TEST, admin_page, assert_looks_like_the_history_pill, screenshot
from tests.training.factories import RunFactory
from training import selectors
from training.models import RunStatus

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("width", [1280, 390])
def test_a_running_runs_cancel_button_looks_like_the_history_pill_beside_it(browser, live_server, width):
    run = RunFactory(status=RunStatus.RUNNING)
    page = admin_page(browser, live_server, viewport={"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/training/trainingrun/{run.pk}/change/")
    screenshot(page, f"run-cancel-button-{width}")
    assert_looks_like_the_history_pill(page.locator("button[name=run_action][value=cancel]"), page)


STATES = {  # what the user trial saw: start-up, training into a fixed frame, a killed worker's run
    "starting": ({"status": RunStatus.RUNNING}, "starting: loading the model and data"),
    "training": ({"status": RunStatus.RUNNING, "progress_step": 30, "progress_total": 120, "precision_used": "fp32",
                  "history": [{"step": s, "loss": 1.2 - s / 100} for s in (1, 10, 20, 30)]}, "step 30 of 120"),
    "killed": ({"status": RunStatus.FAILED, "progress_step": 71, "progress_total": 120, "precision_used": "fp32",
                "history": [{"step": s, "loss": 1.2 - s / 100} for s in (1, 20, 40, 60, 71)]
                + [{"step": 40, "validation_loss": 0.9, "validation_score": 0.6}]},
               "last report: step 71 of 120; resumes from checkpoint at step 80"),
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("state", list(STATES))
def test_the_run_page_says_what_the_run_is_doing(browser, live_server, settings, tmp_path, state, width):
    settings.TRAINING_DIR = str(tmp_path)
    fields, says = STATES[state]
    run = RunFactory(**fields)
    if state == "killed":
        checkpoint = selectors.run_folder(run) / "checkpoints" / "checkpoint-80"
        checkpoint.mkdir(parents=True)
        (checkpoint / "trainer_state.json").write_text("{}")
    page = admin_page(browser, live_server, viewport={"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/training/trainingrun/{run.pk}/change/")
    screenshot(page, f"run-page-{state}-{width}")
    assert page.get_by_text(says).is_visible()
    assert "step 0 of 0" not in page.content()
    if run.history:  # the whole frame shows, its last step included: on a phone the chart shrinks, not clipped
        chart = page.locator("svg.run-curves").bounding_box()
        assert chart["x"] >= 0 and chart["x"] + chart["width"] <= width
