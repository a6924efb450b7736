"""The training run and model version lists in a real headless Chromium at 1280 px: their columns fit beside the
admin's sidebar and filters (a user trial found both wider than the screen, the run list by 500 px)."""

from tests.browser import BROWSER_TEST, admin_page, assert_fits, screenshot
from tests.tasks.factories import ProjectFactory
from tests.training.factories import ModelVersionFactory, RunFactory
from training.models import RunStatus

pytestmark = BROWSER_TEST


def test_the_run_and_version_lists_fit_1280_px(browser, live_server):
    project = ProjectFactory(title="Shopping query attributes, second season")
    RunFactory(project=project, status=RunStatus.RUNNING, progress_step=120, progress_total=400, loss=1.2345,
               device="cuda:0")
    RunFactory(project=project, status=RunStatus.FAILED, device="cpu")
    ModelVersionFactory(project=project, is_active=True)
    page = admin_page(browser, live_server, viewport={"width": 1280, "height": 900})
    for name in ("trainingrun", "modelversion"):
        page.goto(f"{live_server.url}/admin/training/{name}/")
        screenshot(page, f"{name}-list-1280")
        assert page.locator("#result_list tbody tr").count() >= 1
        assert_fits(page, "#result_list")
