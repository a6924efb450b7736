"""A training run's page in a real headless Chromium: its Cancel button is one of the pills beside History."""

import pytest

from tests.browser import BROWSER_TEST, admin_page, assert_looks_like_the_history_pill, screenshot
from tests.training.factories import RunFactory
from training.models import RunStatus

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("width", [1280, 390])
def test_a_running_runs_cancel_button_looks_like_the_history_pill_beside_it(browser, live_server, width):
    run = RunFactory(status=RunStatus.RUNNING)
    page = admin_page(browser, live_server, viewport={"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/training/trainingrun/{run.pk}/change/")
    screenshot(page, f"run-cancel-button-{width}")
    assert_looks_like_the_history_pill(page.locator("button[name=run_action][value=cancel]"), page)
