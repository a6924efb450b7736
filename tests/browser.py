"""Helpers of the browser tests (a real headless Chromium driven by Playwright); the `browser` fixture is in
tests/conftest.py. Set SCREENSHOT_DIR to keep a screenshot of each page a test names."""

import os
import shutil
import time
from pathlib import Path

import pytest

from tasks.models import ProjectStatus
from tests.factories import PASSWORD, AdminFactory
from tests.tasks.factories import ItemFactory, ProjectFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")

# What every browser test module marks itself with: skipped, with the reason printed, where Chromium is not
# installed (.ci/run installs it, so CI runs them); a live server needs committed rows.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium); CI installs it"),
    pytest.mark.django_db(transaction=True),
]

DESKTOP, PHONE = {"width": 1100, "height": 800}, {"width": 390, "height": 844}
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def screenshot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def element_screenshot(locator, name):
    """One part of a page (the label editor and its preview), kept like screenshot's pages when SCREENSHOT_DIR is set."""
    if os.environ.get("SCREENSHOT_DIR"):
        locator.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / f"{name}.png"))


def log_in(browser, live_server, worker, viewport=DESKTOP, **page_options):
    """A page of the worker logged in on the site, at their dashboard."""
    page = browser.new_page(viewport=viewport, **page_options)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", worker.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    return page


def admin_page(browser, live_server, **context):
    """A page of a new admin logged in to /admin/."""
    admin = AdminFactory()
    page = browser.new_page(**{"viewport": {"width": 1200, "height": 900}, **context})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content")
    return page


def assert_fits(page, box=None):
    """Nothing scrolls sideways: the page is no wider than the window, or with `box` (a selector: the admin's
    `#result_list`, whose holder scrolls on its own), that element is no wider than the element holding it."""
    if box is None:
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    else:
        sizes = page.locator(box).evaluate("e => [e.getBoundingClientRect().width, e.parentElement.clientWidth]")
    assert sizes[0] <= sizes[1] + 0.5, f"{box or 'the page'} is {sizes[0]} px wide in {sizes[1]} px"


def assert_looks_like_the_history_pill(button, page):
    """A form's button among the object-tools (admin/object_tools_button_style.html) is drawn as the History pill,
    on its line, before it."""
    looks = ("borderRadius", "backgroundColor", "color", "fontSize", "fontWeight", "textTransform", "letterSpacing",
             "paddingTop", "paddingLeft", "lineHeight", "fontFamily")
    style = "(e, names) => { const s = getComputedStyle(e); return names.map(n => s[n]); }"
    history = page.locator(".object-tools a.historylink")
    assert button.evaluate(style, looks) == history.evaluate(style, looks)
    button_box, history_box = button.bounding_box(), history.bounding_box()
    assert button_box["height"] == pytest.approx(history_box["height"], abs=1)
    assert button_box["y"] == pytest.approx(history_box["y"], abs=1)  # on one line, side by side
    assert button_box["x"] + button_box["width"] <= history_box["x"]


def done(page, n):
    """Wait until the workspace counts n answers done."""
    wait_until(page, f"document.getElementById('ws-done').textContent === '{n}'")


def classification_project(n_items, **kwargs):
    """A published two-label project (Phone on key 1, TV on 2) with n_items items and no gold."""
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, **{"title": "Product category", **kwargs},
                             label_schema={"labels": [{"name": "Phone", "shortcut": "1"}, {"name": "TV", "shortcut": "2"}]})
    ItemFactory.create_batch(n_items, project=project)
    return project


def fill_label_editor(page, names):
    """Adds one label per name with the editor's Add button (each takes the next free digit); returns the rows."""
    for position, name in enumerate(names):
        page.locator(".le-labels .le-add").click()
        row = page.locator(".le-labels .le-row").nth(position)
        assert row.locator(".le-name").evaluate("input => input === document.activeElement")  # ready to type
        page.keyboard.type(name)
    return page.locator(".le-labels .le-row")


def wait_until(page, expression: str, timeout_s: float = 10.0, every_s: float = 0.05):
    """Wait until a JavaScript expression is truthy in the page. Playwright's own wait_for_function builds its
    predicate with `new Function`, which the pages' Content-Security-Policy forbids (no 'unsafe-eval'), as it
    should; page.evaluate goes through the DevTools protocol, which the policy does not govern."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        time.sleep(every_s)
