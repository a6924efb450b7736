"""Publishing in a real headless Chromium: a project made in the admin's label editor, a semicolon-separated cp1252 CSV
imported through the preview and the background job, published with the change page's button, then one item labelled by an annotator.

Set SCREENSHOT_DIR to keep a screenshot of each step (see tests/annotations/test_browser.py for the browser).
"""

import os
from pathlib import Path

import pytest

from annotations.models import Annotation
from tasks.models import Item, Project, ProjectStatus
from tests.browser import BROWSER_TEST, admin_page, assert_looks_like_the_history_pill, element_screenshot, fill_label_editor, log_in, screenshot, wait_until
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = BROWSER_TEST

# As Excel on a European Windows machine saves it: semicolons, cp1252, gold labels typed in lower case.
PRODUCTS_CSV = (
    "Product ID;Product Title;Category\n"
    "p1;Café crème espresso machine, 1.5 l;appliance\n"
    "p2;Apple iPhone 8, 64 GB;phone\n"
    "p3;Samsung Galaxy S9;\n"
    "p4;Bosch dishwasher – silence plus;\n"
).encode("cp1252")
MAPPING = '{"external_id": "Product ID", "fields": {"title": "Product Title"}, "gold": "Category"}'


@pytest.fixture(autouse=True)
def _staging_dir(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staged")


def test_create_import_through_the_preview_publish_with_the_button_then_label(browser, live_server, tmp_path):
    page = admin_page(browser, live_server)

    # A project, made in the admin's form with the label editor: three labels, reordered, one colour and key set.
    page.goto(f"{live_server.url}/admin/tasks/project/add/")
    page.fill("input[name=title]", "Product category")
    page.select_option("select[name=task_type]", "single_label")
    label_rows = fill_label_editor(page, ["Phone", "Appliance", "Accessory"])
    label_rows.nth(1).locator(".le-up").click()  # Appliance first; keys stay with their labels
    assert page.locator(".le-labels .le-row").nth(0).locator(".le-up").is_disabled()
    label_rows.nth(0).locator(".le-color").fill("#d62728")
    label_rows.nth(2).locator(".le-key").fill("X")
    assert page.locator(".label-preview .label").all_inner_texts() == ["Appliance\n2", "Phone\n1", "Accessory\nx"]
    assert page.locator("textarea[name=label_schema]").is_hidden()
    page.locator(".le-fields .le-add").click()
    page.locator(".le-fields .le-name").fill("title")
    element_screenshot(page.locator(".field-label_schema"), "publish-0-label-editor")
    page.fill("input[name=gold_share]", "0")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist")
    project = Project.objects.get(title="Product category")
    assert project.label_schema == {"labels": [
        {"name": "Appliance", "description": "", "color": "#d62728", "shortcut": "2"},
        {"name": "Phone", "description": "", "color": "#1f77b4", "shortcut": "1"},
        {"name": "Accessory", "description": "", "color": "#2ca02c", "shortcut": "x"},
    ]}
    assert project.item_fields == ["title"]
    screenshot(page, "publish-1-project-saved")

    # The semicolon file, previewed: nothing stored yet.
    upload = tmp_path / "products.csv"
    upload.write_bytes(PRODUCTS_CSV)
    page.click("text=Import items")
    page.set_input_files("input[name=file]", str(upload))
    page.fill("textarea[name=mapping]", MAPPING)
    page.click("#import-upload input[type=submit]")
    page.wait_for_selector("#import-preview")
    facts = page.inner_text("#import-facts")
    assert "semicolon (;)" in facts and "cp1252" in facts and "Product Title" in facts
    preview = page.inner_text("#import-preview")
    assert "Café crème espresso machine, 1.5 l" in preview and "Appliance" in preview
    assert not Item.objects.filter(project=project).exists()
    screenshot(page, "publish-2-preview")

    # Confirmed: stored by the background job (run at once here: Celery is eager in tests), whose page says so.
    page.click("#import-confirm input[type=submit]")
    page.wait_for_selector("#import-done")
    assert "4 item(s) created" in page.inner_text("#import-done")
    assert dict(Item.objects.filter(project=project, is_gold=True).values_list("external_id", "gold")) == {
        "p1": "Appliance", "p2": "Phone"}

    # Published with the change page's button.
    page.click("text=Back to the project")
    page.click("#publish-button")
    page.wait_for_selector(".messagelist .success")
    assert "Published “Product category”: 4 item(s), 2 of them gold" in page.inner_text(".messagelist")
    screenshot(page, "publish-3-published")
    project.refresh_from_db()
    assert project.status == ProjectStatus.PUBLISHED

    # An annotator labels one item from the keyboard.
    worker = verified_worker()
    work = log_in(browser, live_server, worker)
    work.goto(f"{live_server.url}/work/{project.pk}/")
    work.wait_for_selector(".field-value")
    shown = work.inner_text(".field-value")
    # The labels in the editor's order, with its colour and keys.
    assert work.locator("#ws-labels button.label").all_inner_texts() == ["Appliance\n2", "Phone\n1", "Accessory\nx"]
    assert "214, 39, 40" in work.locator("#ws-labels button.label").first.evaluate(
        "b => getComputedStyle(b).borderColor")
    screenshot(work, "publish-4-labelling")
    work.keyboard.press("2")
    work.keyboard.press("Enter")
    wait_until(work, "document.getElementById('ws-done').textContent === '1'")
    annotation = Annotation.objects.get(worker=worker)
    assert annotation.answer == "Appliance" and annotation.item.data["title"] == shown


@pytest.mark.parametrize("width", [1280, 390])
def test_the_publish_button_looks_like_the_history_pill_beside_it(browser, live_server, width):
    project = ProjectFactory(title="Pill")
    ItemFactory(project=project)
    page = admin_page(browser, live_server, viewport={"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/tasks/project/{project.pk}/change/")
    screenshot(page, f"publish-button-{width}")
    if os.environ.get("SCREENSHOT_DIR"):  # the top of the page alone, where the pills are, to look at closely
        page.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / f"publish-button-{width}-top.png"),
                        clip={"x": 0, "y": 0, "width": width, "height": 320})
    assert_looks_like_the_history_pill(page.locator("#publish-button"), page)
