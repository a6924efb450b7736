"""A large import in the admin, in a real headless Chromium: the upload goes to the background job, whose page
shows a progress bar that follows the job's status while the worker reports progress, then the outcome; a file
with a bad row ends with its errors listed and the report to download.

The worker is this test: the task is recorded instead of sent, the test reports progress as the worker's import
does, then runs the job as the Celery task would. Set SCREENSHOT_DIR to keep a screenshot of each step.
"""

import pytest

from tasks.importing import jobs
from tasks.models import ImportJob, ImportJobState, Item
from tests.browser import BROWSER_TEST, admin_page, screenshot, wait_until
from tests.tasks.factories import ProjectFactory

pytestmark = BROWSER_TEST

BAR = "document.getElementById('import-progress')"


@pytest.fixture
def queued(settings, tmp_path, monkeypatch):
    """Imports above 200 bytes go to the job; the job ids the Celery task would have been sent."""
    settings.IMPORT_STAGING_DIR, settings.IMPORT_SYNC_MAX_BYTES = str(tmp_path / "staged"), 200
    sent = []
    monkeypatch.setattr("tasks.celery_tasks.import_job_run.delay", sent.append)
    return sent


def _upload(page, live_server, project, tmp_path, rows):
    upload = tmp_path / "products.csv"
    upload.write_text("external_id,title\n" + "".join(f"{external_id},{title}\n" for external_id, title in rows))
    page.goto(f"{live_server.url}/admin/tasks/project/{project.pk}/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("#import-upload input[type=submit]")
    page.wait_for_selector("#import-progress")


def test_a_large_import_shows_its_progress_then_its_outcome(browser, live_server, tmp_path, queued):
    project = ProjectFactory()
    page = admin_page(browser, live_server)
    _upload(page, live_server, project, tmp_path, [(f"p{n}", f"Phone model {n}") for n in range(40)])
    job = ImportJob.objects.get(project=project)
    assert queued == [job.pk] and page.inner_text("#import-phase") == "queued"
    assert page.evaluate(f"{BAR}.value") == 0

    # The worker takes the job and reports as items_import does: validating (total unknown), then storing.
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJobState.RUNNING)
    jobs._progress_note(job, "importing", 10, 40)
    wait_until(page, f"{BAR}.value === 62")
    assert page.inner_text("#import-rows") == "10 of 40" and page.inner_text("#import-phase") == "importing"
    screenshot(page, "import-job-1-progress")
    jobs._progress_note(job, "importing", 30, 40)
    wait_until(page, f"{BAR}.value === 87")
    assert not Item.objects.filter(project=project).exists()  # all or nothing: nothing until the end

    # The job runs to its end (as the Celery task does): the page reloads on its own with the outcome.
    jobs.import_job_run(job_id=job.pk)
    page.wait_for_selector("#import-done")
    assert "40 item(s) created" in page.inner_text("#import-done") and page.evaluate(f"{BAR}.value") == 100
    assert Item.objects.filter(project=project).count() == 40
    screenshot(page, "import-job-2-done")


def test_a_failed_import_lists_its_errors_and_offers_the_report(browser, live_server, tmp_path, queued):
    project = ProjectFactory()
    page = admin_page(browser, live_server)
    _upload(page, live_server, project, tmp_path, [(f"p{n}", "" if n == 7 else f"Phone model {n}") for n in range(40)])
    job = ImportJob.objects.get(project=project)
    jobs.import_job_run(job_id=job.pk)
    page.wait_for_selector("#import-failed")
    assert "Nothing was imported: 1 problem" in page.inner_text("#import-failed")
    assert "9" in page.locator("#import-failed tbody td").first.inner_text()  # line 9: header, then p0..p7
    screenshot(page, "import-job-3-failed")
    with page.expect_download() as download:
        page.click("#import-errors-csv")
    report = download.value.path().read_text()
    assert report.splitlines()[0] == "line,reason" and report.splitlines()[1].startswith("9,")
    assert not Item.objects.filter(project=project).exists()
