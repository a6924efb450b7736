"""The practice round in a real headless Chromium, at desktop and phone width: a wrong practice answer
shows the right one and why, and Continue leads on to real work. Set SCREENSHOT_DIR to keep screenshots."""

import pytest

from annotations.models import Annotation
from tasks.models import PracticeAnswer, PracticeItem
from tests.annotations.test_browser import (  # noqa: F401  (browser is a fixture)
    CHROMIUM, PHONE, WIDTHS, _classification, _done, _log_in, _screenshot, browser,
)
from tests.factories import verified_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium); CI installs it"),
    pytest.mark.django_db(transaction=True),
]


@WIDTHS
def test_a_wrong_practice_answer_shows_the_right_one_then_real_work_follows(browser, live_server, viewport):
    project = _classification(2, practice_required=1)
    PracticeItem.objects.create(project=project, external_id="p1", data={"title": "Apple iPhone 8, 64 GB"},
                                answer="Phone", explanation="A handset that makes calls is a Phone, whatever its size.")
    worker = verified_worker()
    page = _log_in(browser, live_server, worker, viewport)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("#ws-practice:not([hidden])")
    assert "Practice 1 of 1" in page.inner_text("#ws-practice")
    assert page.inner_text(".field-value") == "Apple iPhone 8, 64 GB"
    assert page.is_disabled("#ws-skip")

    if viewport is PHONE:
        page.click("button.label[data-label=TV]")  # a tap answers, as for real work
    else:
        page.keyboard.press("2")
    page.wait_for_selector("#ws-feedback:not([hidden])")
    assert page.inner_text("#ws-feedback-verdict") == "Not quite."
    assert page.inner_text("#ws-feedback-answer") == "You answered TV. The right answer is Phone."
    assert "makes calls" in page.inner_text("#ws-feedback-explanation")
    assert page.is_visible("#ws-continue") and page.is_hidden("button.label[data-label=Phone]")
    box = page.locator("#ws-continue").bounding_box()
    assert box["y"] + box["height"] <= viewport["height"]  # on screen without scrolling, nothing covers it
    _screenshot(page, f"practice-feedback-{'phone' if viewport is PHONE else 'desktop'}")
    page.keyboard.press("1")  # a label key while the right answer is shown answers nothing
    stored = PracticeAnswer.objects.get(worker=worker)
    assert (stored.answer, stored.correct) == ("TV", False)

    if viewport is PHONE:
        page.click("#ws-continue")
    else:
        page.keyboard.press("Enter")
    page.wait_for_selector("#ws-feedback", state="hidden")
    page.wait_for_selector("#ws-practice", state="hidden")
    real = page.inner_text(".field-value")
    assert real in {item.data["title"] for item in project.items.all()}
    assert page.inner_text("#ws-lease") != "—" and page.is_enabled("#ws-skip")
    _screenshot(page, f"practice-then-real-{'phone' if viewport is PHONE else 'desktop'}")
    if viewport is PHONE:
        page.click("button.label[data-label=Phone]")
    else:
        page.keyboard.press("1")
    _done(page, 1)
    annotation = Annotation.objects.get(worker=worker)
    assert annotation.item.data["title"] == real and PracticeAnswer.objects.count() == 1
