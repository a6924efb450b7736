"""The annotator workspace in a real headless Chromium (Debian's package, driven by Playwright).

Skipped, with the reason printed, where Chromium is not installed; .ci/run installs it, so CI runs these.
Set SCREENSHOT_DIR to keep a screenshot of each page.
"""

import os
import shutil
from pathlib import Path

import pytest

from annotations.models import Annotation
from tasks import assignment as assignment_service
from tasks.models import Assignment, AssignmentState, AssignmentStrategy, ProjectStatus
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_assignment import took_work_recently, verified_worker

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "correct-horse-battery"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium); CI installs it"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def _screenshot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _log_in(browser, live_server, worker):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", worker.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_label_five_items_from_the_keyboard_and_skip_one(browser, live_server):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, title="Product category",
                             label_schema={"labels": [{"name": "Phone", "shortcut": "1"}, {"name": "TV", "shortcut": "2"}]})
    ItemFactory.create_batch(8, project=project)
    ItemFactory(project=project, data={"title": "<script>window.pwned = true</script> <b>bold?</b>"})
    worker = verified_worker()
    page = _log_in(browser, live_server, worker)
    page.click(f"a[href='/work/{project.pk}/']")
    page.wait_for_selector(".field-value")

    for n in range(5):
        page.keyboard.press("2" if n % 2 else "1")
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.getElementById('ws-done').textContent === '{n + 1}'")
    _screenshot(page, "classification")
    page.keyboard.press("Escape")
    page.wait_for_function("document.getElementById('ws-status').textContent.includes('Skipped')")

    answers = list(Annotation.objects.filter(worker=worker).order_by("pk").values_list("answer", flat=True))
    assert answers == ["Phone", "TV", "Phone", "TV", "Phone"]
    assert Assignment.objects.filter(worker=worker, state=AssignmentState.SKIPPED).count() == 1
    assert Assignment.objects.filter(worker=worker, state=AssignmentState.LIVE).count() == 1
    assert page.evaluate("window.pwned") is None


def test_item_html_shows_as_text(browser, live_server):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0)
    ItemFactory(project=project, data={"title": "<img src=x onerror=window.pwned=1> <b>bold?</b>"})
    page = _log_in(browser, live_server, verified_worker())
    page.goto(f"{live_server.url}/work/{project.pk}/")
    value = page.wait_for_selector(".field-value")
    assert value.inner_text() == "<img src=x onerror=window.pwned=1> <b>bold?</b>"
    assert page.evaluate("window.pwned") is None and page.query_selector(".field-value b") is None


def test_mark_two_spans_with_mouse_and_keyboard(browser, live_server):
    project = ProjectFactory(
        span=True, status=ProjectStatus.PUBLISHED, gold_share=0.0, title="Shopping query attributes",
        label_schema={"labels": [{"name": "creator", "shortcut": "q"}, {"name": "color", "shortcut": "w"},
                                 {"name": "core_product_type", "shortcut": "e"}]},
    )
    ItemFactory(project=project, data={"text": "nike air max red running shoes"})
    worker = verified_worker()
    page = _log_in(browser, live_server, worker)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("#span-text")

    # Mouse: double-click selects the word "nike", then its type's key.
    page.dblclick("#span-text span >> nth=0", position={"x": 5, "y": 10})
    page.keyboard.press("q")
    page.wait_for_selector("mark")
    # Keyboard: move to the 5th word ("running"), extend over "shoes", then its type's key.
    page.locator("#ws-item").focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("e")
    page.wait_for_function("document.querySelectorAll('mark').length === 2")
    _screenshot(page, "ner")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('ws-done').textContent === '1'")

    annotation = Annotation.objects.get(worker=worker)
    text = "nike air max red running shoes"
    assert [(text[s["start"]:s["end"]], s["label"]) for s in annotation.answer] == [
        ("nike", "creator"), ("running shoes", "core_product_type")]


def test_the_page_asks_again_by_itself_after_a_refusal(browser, live_server, settings, monkeypatch):
    # The live server runs in this process: no competition cache, and a one-second retry hint.
    settings.ASSIGNMENT_COMPETITION_CACHE_SECONDS = 0
    monkeypatch.setattr(assignment_service, "RETRY_AFTER_SECONDS", 1)
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=1,
                             assignment_strategy=AssignmentStrategy.WEIGHTED)
    ItemFactory.create_batch(3, project=project)
    # A worker of weight 0 is never admitted while the last items are contested (deterministic).
    weak, strong = verified_worker(weight=0.0), verified_worker(weight=2.0)
    refused = "document.getElementById('ws-status').textContent.includes('Asking again in 1 s')"
    showing_an_item = "document.querySelector('.field-value') !== null"

    took_work_recently(project, [strong], items_each=10)  # contested from the first page load
    page = _log_in(browser, live_server, weak)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_function(refused)
    _screenshot(page, "refused-on-load")
    Assignment.objects.filter(worker=strong).delete()  # the strong worker leaves: work for all again
    page.wait_for_function(showing_an_item)

    took_work_recently(project, [strong], items_each=10)  # contested again when the answer goes in
    page.click("button.label >> nth=0")
    page.click("#ws-submit")
    page.wait_for_function(refused)
    assert page.evaluate("document.getElementById('ws-done').textContent") == "1"
    _screenshot(page, "refused-after-submit")
    Assignment.objects.filter(worker=strong).delete()
    page.wait_for_function(showing_an_item)
    _screenshot(page, "served-after-retry")
    assert Assignment.objects.filter(worker=weak, state=AssignmentState.LIVE).count() == 1
    assert Annotation.objects.filter(worker=weak).count() == 1
