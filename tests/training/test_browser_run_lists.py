"""The training run, model version and feedback event lists in a real headless Chromium at 1280 px: their columns
fit beside the admin's sidebar and filters (a user trial found each wider than the screen, the run list by 500 px,
the feedback list by 420)."""

from tests.browser import BROWSER_TEST, admin_page, assert_fits, screenshot
from tests.tasks.factories import ProjectFactory
from tests.training.factories import FeedbackEventFactory, ModelVersionFactory, RunFactory
from training.models import FeedbackOutcome, RunStatus

pytestmark = BROWSER_TEST


def test_the_run_version_and_feedback_lists_fit_1280_px(browser, live_server):
    project = ProjectFactory(title="Shopping query attributes, second season")
    RunFactory(project=project, status=RunStatus.RUNNING, progress_step=120, progress_total=400, loss=1.2345,
               device="cuda:0")
    RunFactory(project=project, status=RunStatus.FAILED, device="cpu")
    ModelVersionFactory(project=project, is_active=True)
    FeedbackEventFactory(project=project, event_id="order-2026-12-01-0017-return", outcome=FeedbackOutcome.CORRECTED,
                         predicted_label="Kitchen appliances", corrected_label="Small domestic appliances",
                         text="Stainless steel two-slice toaster with defrost and reheat, wide slots " * 3)
    FeedbackEventFactory(project=project, event_id="order-2026-12-01-0018", outcome=FeedbackOutcome.REPORTED_WRONG)
    page = admin_page(browser, live_server, viewport={"width": 1280, "height": 900})
    for name in ("trainingrun", "modelversion", "feedbackevent"):
        page.goto(f"{live_server.url}/admin/training/{name}/")
        screenshot(page, f"{name}-list-1280")
        assert page.locator("#result_list tbody tr").count() >= 1
        assert_fits(page, "#result_list")
