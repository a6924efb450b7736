"""The label editor on the admin's project form, in a real headless Chromium: problems told while typing, the
preview following the rows, the JSON box behind it, and the form working without JavaScript.

Set SCREENSHOT_DIR to keep screenshots of the editor and its preview (see tests/annotations/test_browser.py).
"""

import json


from tasks.models import Project
from tests.browser import BROWSER_TEST, admin_page, element_screenshot, fill_label_editor, screenshot

pytestmark = BROWSER_TEST


def _add_page(browser, live_server, **context):
    page = admin_page(browser, live_server, **context)
    page.goto(f"{live_server.url}/admin/tasks/project/add/")
    page.fill("input[name=title]", "Sentiment")
    return page


def _schema(page):
    return json.loads(page.locator("textarea[name=label_schema]").input_value())


def test_problems_are_told_on_their_row_while_typing_and_the_preview_follows(browser, live_server):
    page = _add_page(browser, live_server, viewport={"width": 1440, "height": 900})  # a laptop: preview beside
    rows = fill_label_editor(page, ["Positive", "Negative", "positive"])
    assert "the name is used twice (also by label 1)" in rows.nth(2).locator(".le-problem").inner_text()
    rows.nth(2).locator(".le-name").fill("Neutral")
    assert rows.nth(2).locator(".le-problem").inner_text() == ""
    rows.nth(1).locator(".le-key").fill("?")
    assert "kept by the labelling page (it opens the instructions)" in rows.nth(1).locator(".le-problem").inner_text()
    assert rows.nth(1).locator(".le-key").get_attribute("aria-invalid") == "true"
    rows.nth(1).locator(".le-key").fill("1")
    assert "the key '1' is used twice (also by label 1)" in page.locator(".le-labels .le-problems").inner_text()
    rows.nth(1).locator(".le-key").fill("n")
    rows.nth(1).locator(".le-description").fill("Unhappy with the product")
    rows.nth(1).locator(".le-color").fill("#d62728")
    assert page.locator(".le-labels .le-problems").inner_text() == ""

    # The preview draws the labels as the workspace does: name, key, border in the label's colour.
    preview = page.locator(".label-preview .label")
    assert preview.all_inner_texts() == ["Positive\n1", "Negative\nn", "Neutral\n3"]
    assert "214, 39, 40" in preview.nth(1).evaluate("b => getComputedStyle(b).borderColor")
    page.select_option("select[name=task_type]", "multi_label")
    assert "every label that applies" in page.inner_text(".label-preview")
    page.locator(".le-fields .le-add").click()
    page.keyboard.type("review")
    assert "The item's review" in page.inner_text(".label-preview .lp-item")

    # Removing and moving, from the keyboard: the focus stays on the moved row's button.
    rows.nth(2).locator(".le-up").focus()
    page.keyboard.press("Enter")
    assert [l["name"] for l in _schema(page)["labels"]] == ["Positive", "Neutral", "Negative"]
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move Neutral up"
    rows.nth(0).locator(".le-remove").click()
    assert preview.all_inner_texts() == ["Neutral\n3", "Negative\nn"]
    editor, beside = page.locator(".le-labels .le-main").bounding_box(), page.locator(".label-preview").bounding_box()
    assert beside["x"] >= editor["x"] + editor["width"] and beside["y"] < editor["y"] + editor["height"]
    element_screenshot(page.locator(".field-label_schema"), "label-editor")
    screenshot(page, "label-editor-page")

    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    project = Project.objects.get(title="Sentiment")
    assert [(l["name"], l["shortcut"], l["color"], l["description"]) for l in project.label_schema["labels"]] == [
        ("Neutral", "3", "#2ca02c", ""), ("Negative", "n", "#d62728", "Unhappy with the product")]
    assert project.item_fields == ["review"] and project.task_type == "multi_label"


def test_the_json_box_behind_the_editor_says_line_and_column_when_saved_broken(browser, live_server):
    page = _add_page(browser, live_server)
    fill_label_editor(page, ["Positive", "Negative"])
    page.click(".le-labels .le-json-toggle")
    box = page.locator("textarea[name=label_schema]")
    assert box.is_visible() and json.loads(box.input_value())["labels"][1]["name"] == "Negative"
    box.fill('{"labels": [\n  {"name": "Positive"}\n  {"name": "Negative"}\n]}')
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    assert "Not valid JSON at line 3, column 3" in page.inner_text(".field-label_schema .errorlist")
    # The editor cannot show broken JSON, so the box stays open with a note, holding what was typed.
    assert box.is_visible() and '{"name": "Negative"}' in box.input_value()
    assert "not valid" in page.inner_text(".field-label_schema .le-note")
    assert not Project.objects.exists()


def test_without_javascript_the_json_box_is_the_editor(browser, live_server):
    page = _add_page(browser, live_server, java_script_enabled=False)
    page.select_option("select[name=task_type]", "single_label")
    box = page.locator("textarea[name=label_schema]")
    assert box.is_visible() and page.locator(".label-editor").count() == 0
    box.fill('{"labels": [{"name": "Spam", "shortcut": "s"}, {"name": "Ham", "shortcut": "S"}]}')
    page.fill("textarea[name=item_fields]", '["subject", "body"]')
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    assert "Label 2 (“Ham”): the shortcut 's' is used twice (also by label 1 (“Spam”))." in page.inner_text(
        ".field-label_schema .errorlist")
    page.locator("textarea[name=label_schema]").fill('{"labels": [{"name": "Spam", "shortcut": "s"}, {"name": "Ham"}]}')
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    project = Project.objects.get(title="Sentiment")
    assert [l["name"] for l in project.label_schema["labels"]] == ["Spam", "Ham"]
    assert project.item_fields == ["subject", "body"]
