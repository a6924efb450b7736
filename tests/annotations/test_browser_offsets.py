"""Span offsets are Unicode code points in the API, the server and exports; the page indexes UTF-16 units and
converts at its edge. Labelled in a real Chromium on text with emoji (two UTF-16 units each), a combining mark
that has no precomposed form (two code points) and right-to-left words: the stored spans cut the words marked."""

import pytest

from annotations.models import Annotation
from tasks.models import ProjectStatus
from tests.annotations.test_browser import CHROMIUM, _done, _log_in, browser  # noqa: F401 (fixture)
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_assignment import verified_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium); CI installs it"),
    pytest.mark.django_db(transaction=True),
]

TEXT = "📱 phone case x\u0301yz 👟 running shoe שלום עולם"


def _marked(page):
    return page.eval_on_selector_all("mark", "nodes => nodes.map(n => n.firstChild.textContent)")


def test_spans_on_emoji_combining_marks_and_rtl_text_are_stored_as_marked(browser, live_server):
    project = ProjectFactory(
        span=True, status=ProjectStatus.PUBLISHED, gold_share=0.0,
        label_schema={"labels": [{"name": "product", "shortcut": "q"}, {"name": "model", "shortcut": "w"},
                                 {"name": "brand", "shortcut": "e"}]},
    )
    ItemFactory(project=project, data={"text": TEXT})
    worker = verified_worker()
    page = _log_in(browser, live_server, worker)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("#span-text")

    page.dblclick("#span-text span:text-is('phone')")  # the mouse, after an emoji
    page.keyboard.press("q")
    page.wait_for_selector("mark")
    page.locator("#ws-item").focus()
    page.keyboard.press("ArrowRight")  # the cursor went on to "case"; now "x́yz"
    page.keyboard.press("w")
    page.keyboard.press("ArrowRight")  # from "👟" to "running"
    page.keyboard.press("Shift+ArrowRight")  # and "shoe": the text's last English word, after a second emoji
    page.keyboard.press("q")
    page.keyboard.press("ArrowRight")  # from "שלום" to "עולם"
    page.keyboard.press("e")
    page.wait_for_function("document.querySelectorAll('mark').length === 4")
    assert _marked(page) == ["phone", "x\u0301yz", "running shoe", "עולם"]
    page.keyboard.press("Enter")
    _done(page, 1)

    stored = Annotation.objects.get(worker=worker).answer
    assert [(TEXT[s["start"]:s["end"]], s["label"]) for s in stored] == [
        ("phone", "product"), ("x\u0301yz", "model"), ("running shoe", "product"), ("עולם", "brand")]
    assert stored[0] == {"start": 2, "end": 7, "label": "product"}  # code points: the emoji counts one

    # The withdrawn answer comes back from the server in code points and is shown on the same words.
    page.keyboard.press("Control+z")
    page.wait_for_function("document.getElementById('ws-status').textContent.includes('taken back')")
    page.wait_for_function("document.querySelectorAll('mark').length === 4")
    assert _marked(page) == ["phone", "x\u0301yz", "running shoe", "עולם"]
