"""The annotator workspace in a real headless Chromium (Debian's package, driven by Playwright).

Skipped, with the reason printed, where Chromium is not installed; .ci/run installs it, so CI runs these.
Set SCREENSHOT_DIR to keep a screenshot of each page.
"""

import base64
import io
import os
import shutil
import wave
from pathlib import Path

import pytest

from accounts.models import WorkerProfile
from annotations.models import Annotation
from tasks import assignment as assignment_service
from tasks.models import Assignment, AssignmentState, AssignmentStrategy, ProjectStatus, TaskType
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker
from tests.tasks.test_assignment import took_work_recently

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


DESKTOP, PHONE = {"width": 1100, "height": 800}, {"width": 390, "height": 844}
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def _log_in(browser, live_server, worker, viewport=DESKTOP, **page_options):
    page = browser.new_page(viewport=viewport, **page_options)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", worker.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _done(page, n):
    page.wait_for_function(f"document.getElementById('ws-done').textContent === '{n}'")


def _classification(n_items, **kwargs):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, **{"title": "Product category", **kwargs},
                             label_schema={"labels": [{"name": "Phone", "shortcut": "1"}, {"name": "TV", "shortcut": "2"}]})
    ItemFactory.create_batch(n_items, project=project)
    return project


@WIDTHS
def test_label_twenty_items_with_one_key_each_and_undo_one(browser, live_server, viewport):
    project = _classification(24)
    ItemFactory(project=project, data={"title": "<script>window.pwned = true</script> <b>bold?</b>"})
    worker = verified_worker()
    page = _log_in(browser, live_server, worker, viewport)
    page.click(f"a[href='/work/{project.pk}/']")
    page.wait_for_selector(".field-value")
    assert page.inner_text("#ws-left") == "25"

    keys = ["2" if n % 3 == 0 else "1" for n in range(20)]
    for n, key in enumerate(keys):
        page.keyboard.press(key)  # one key: labelled and submitted
        _done(page, n + 1)
    page.wait_for_function("document.getElementById('ws-left').textContent === '5'")  # 4 free + the one shown
    last = Assignment.objects.filter(worker=worker, state=AssignmentState.SUBMITTED).latest("finished_at")
    withdrawn = last.annotation.answer
    shown_next = Assignment.objects.get(worker=worker, state=AssignmentState.LIVE)

    if viewport is PHONE:
        page.click("#ws-undo")
    else:
        page.keyboard.press("Control+z")
    page.wait_for_function("document.getElementById('ws-status').textContent.includes('taken back')")
    _done(page, 19)
    # The undone item is on the page again, with the withdrawn answer chosen; one key answers it anew.
    assert page.inner_text(".field-value") == last.item.data["title"]
    assert page.get_attribute("button.label[aria-pressed=true]", "data-label") == withdrawn
    assert page.is_hidden("#ws-undo")
    _screenshot(page, f"undo-{'phone' if viewport is PHONE else 'desktop'}")
    page.keyboard.press("1" if withdrawn == "TV" else "2")
    _done(page, 20)

    answers = list(Annotation.objects.filter(worker=worker).order_by("assignment_id").values_list("answer", flat=True))
    names = {"1": "Phone", "2": "TV"}
    assert answers == [names[k] for k in keys[:19]] + [("Phone" if keys[19] == "2" else "TV")]
    assert Assignment.objects.get(pk=shown_next.pk).state == AssignmentState.RELEASED
    assert Assignment.objects.filter(worker=worker, state=AssignmentState.SUBMITTED).count() == 20
    assert page.evaluate("window.pwned") is None


def test_a_capped_count_of_items_left_stays_capped_as_you_answer(browser, live_server, monkeypatch):
    # The server counts up to the cap and stops: "5+" may be thousands, so an answer must not make it "4".
    monkeypatch.setattr("annotations.selectors.ITEMS_LEFT_CAP", 5)
    project = _classification(9)
    page = _log_in(browser, live_server, verified_worker())
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector(".field-value")
    assert page.inner_text("#ws-left") == "5+"
    for n in range(3):
        page.keyboard.press("1")
        _done(page, n + 1)
        assert page.inner_text("#ws-left") == "5+"
    page.reload()
    page.wait_for_selector(".field-value")
    assert page.inner_text("#ws-left") == "5+"  # 5 unseen and the one held: still capped, as the page said


def test_a_mouse_click_then_enter_submits_when_reviewing_and_the_choice_is_remembered(browser, live_server):
    project = _classification(4)
    worker = verified_worker()
    page = _log_in(browser, live_server, worker)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector(".field-value")
    page.click("#ws-review")
    page.click("button.label[data-label=TV]")
    assert "Enter submits" in page.inner_text("#ws-status")
    page.keyboard.press("Enter")  # the clicked button no longer has the focus: Enter submits
    _done(page, 1)
    page.reload()
    page.wait_for_selector(".field-value")
    assert page.is_checked("#ws-review")
    page.keyboard.press("1")
    assert page.get_attribute("button.label[data-label=Phone]", "aria-pressed") == "true"
    assert Annotation.objects.filter(worker=worker).count() == 1  # reviewing: the key only chose
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('ws-status').textContent === 'Saved.'")
    assert list(Annotation.objects.filter(worker=worker).order_by("pk").values_list("answer", flat=True)) == ["TV", "Phone"]


def test_open_and_close_the_instructions_and_keep_labelling_by_keyboard(browser, live_server):
    project = _classification(5, instructions="Pick the **product type** of each listing.")
    worker = verified_worker()
    page = _log_in(browser, live_server, worker)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector(".field-value")
    page.click("#ws-instructions summary")  # opened with the mouse
    assert page.evaluate("document.getElementById('ws-instructions').open")
    _screenshot(page, "instructions-open")
    page.keyboard.press("1")
    _done(page, 1)
    page.keyboard.press("?")  # closed from the keyboard
    assert not page.evaluate("document.getElementById('ws-instructions').open")
    page.keyboard.press("2")
    _done(page, 2)
    page.keyboard.press("?")
    assert page.evaluate("document.getElementById('ws-instructions').open")
    page.keyboard.press("Escape")  # closes the instructions; skips nothing
    assert not page.evaluate("document.getElementById('ws-instructions').open")
    page.keyboard.press("1")
    _done(page, 3)
    page.click("#ws-instructions summary")
    page.click("#ws-instructions summary")  # opened and closed with the mouse: Enter still submits
    page.click("#ws-review")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    _done(page, 4)
    assert not Assignment.objects.filter(worker=worker, state=AssignmentState.SKIPPED).exists()
    assert list(Annotation.objects.filter(worker=worker).order_by("pk").values_list("answer", flat=True)) == [
        "Phone", "TV", "Phone", "TV"]


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
    # Keyboard: the cursor moved on to "air" after the mark; on to "running", extend over "shoes", then the key.
    page.locator("#ws-item").focus()
    for _ in range(3):
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


def _kb_selected(page):
    return page.eval_on_selector_all("#span-text .kb-selected", "nodes => nodes.map(n => n.textContent)")


@WIDTHS
def test_mark_spans_with_the_keyboard_only(browser, live_server, viewport):
    project = ProjectFactory(
        span=True, status=ProjectStatus.PUBLISHED, gold_share=0.0, title="Shopping query attributes",
        label_schema={"labels": [{"name": "creator", "shortcut": "q"}, {"name": "color", "shortcut": "w"},
                                 {"name": "core_product_type", "shortcut": "e"}]},
    )
    text = "nike air max red running shoes for men with extra cushioning"
    ItemFactory(project=project, data={"text": text})
    worker = verified_worker()
    page = _log_in(browser, live_server, worker, viewport)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("#span-text")

    assert _kb_selected(page) == ["nike"]  # the cursor is one word, not the whole text
    page.keyboard.press("q")  # marks "nike"; the cursor moves on to "air"
    assert _kb_selected(page) == ["air"]
    page.keyboard.press("Shift+ArrowRight")
    assert _kb_selected(page) == ["air", "max"]
    page.keyboard.press("e")  # "air max": core_product_type, for now
    page.keyboard.press("w")  # "red": color
    page.keyboard.press("Backspace")  # takes back "red"
    page.keyboard.press("Backspace")  # and "air max"
    assert page.eval_on_selector_all("mark", "nodes => nodes.length") == 1
    assert _kb_selected(page) == ["running"]  # where the cursor went after marking "red"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert _kb_selected(page) == ["max"]
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    assert _kb_selected(page) == ["max", "red", "running"]
    page.keyboard.press("ArrowRight")  # a plain arrow drops the extension: "shoes" alone
    page.keyboard.press("Shift+ArrowRight")
    assert _kb_selected(page) == ["shoes", "for"]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowRight")
    assert _kb_selected(page) == ["running", "shoes"]
    page.keyboard.press("e")
    page.wait_for_function("document.querySelectorAll('mark').length === 2")
    _screenshot(page, f"span-keyboard-{'phone' if viewport is PHONE else 'desktop'}")
    page.keyboard.press("Enter")
    _done(page, 1)

    annotation = Annotation.objects.get(worker=worker)
    assert [(text[s["start"]:s["end"]], s["label"]) for s in annotation.answer] == [
        ("nike", "creator"), ("running shoes", "core_product_type")]


def _svg_image():
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='320' height='200'><rect width='320' height='200' fill='#dfe8f5'/>"
           "<rect x='110' y='30' width='100' height='140' rx='14' fill='#333'/><rect x='118' y='42' width='84' height='112' "
           "fill='#7fb3ff'/><text x='160' y='192' font-size='12' text-anchor='middle'>test picture</text></svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _wav_audio():
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(1)
        sound.setframerate(8000)
        sound.writeframes(bytes(128 + int(60 * ((i // 10) % 2)) for i in range(8000)))
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


LONG = ("Wireless over-ear headphones with active noise cancelling, 30 hours of battery life, quick charge, "
        "foldable design and a carrying case; compatible with every phone and laptop that has Bluetooth 5.0. ") * 3


def _project_of_type(task_type):
    labels = [{"name": name, "shortcut": str(n + 1)} for n, name in enumerate(["Phone", "TV", "Headphones", "Laptop"])]
    if task_type == TaskType.SPAN:
        project = ProjectFactory(span=True, status=ProjectStatus.PUBLISHED, gold_share=0.0, title="Attributes in titles",
                                 label_schema={"labels": [{"name": "brand", "shortcut": "b"},
                                                          {"name": "color", "shortcut": "c"}]})
        ItemFactory(project=project, data={"text": LONG})
    elif task_type == TaskType.PAIRWISE:
        project = ProjectFactory(pairwise=True, status=ProjectStatus.PUBLISHED, gold_share=0.0, title="Same product?",
                                 item_fields=["title", "description"],
                                 label_schema={"labels": [{"name": "Same product", "shortcut": "s"},
                                                          {"name": "Different products", "shortcut": "d"}]})
        ItemFactory(project=project, data={"left": {"title": "Sony WH-1000XM4 black", "description": LONG},
                                           "right": {"title": "Sony WH1000XM4/B headphones", "description": LONG}})
    else:
        project = ProjectFactory(task_type=task_type, status=ProjectStatus.PUBLISHED, gold_share=0.0,
                                 title=f"{TaskType(task_type).label}", label_schema={"labels": labels},
                                 item_fields=["title", "description"])
        data = {"title": "Sony WH-1000XM4 wireless headphones", "description": LONG[:200]}
        if task_type == TaskType.IMAGE:
            data = {"image": _svg_image()}
        elif task_type == TaskType.AUDIO:
            data = {"audio": _wav_audio()}
        ItemFactory(project=project, data=data)
    return project


@WIDTHS
@pytest.mark.parametrize("task_type", TaskType.values)
def test_every_page_type_shows_its_item_with_submit_on_screen(browser, live_server, viewport, task_type):
    project = _project_of_type(task_type)
    page = _log_in(browser, live_server, verified_worker(), viewport)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("#ws-item > *")
    if task_type == TaskType.IMAGE:
        page.wait_for_function("document.querySelector('#ws-item img').naturalWidth > 0")
    if task_type == TaskType.AUDIO:
        page.wait_for_function("document.querySelector('#ws-item audio').duration > 0")
    # Submit and the first label are inside the window without scrolling, however tall the item.
    for control in ("#ws-submit", "button.label >> nth=0"):
        box = page.locator(control).bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], (control, box)
    _window_screenshot(page, f"{task_type}-{'phone' if viewport is PHONE else 'desktop'}")


def _window_screenshot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:  # what the worker sees: the window, not the whole page
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


# The demo "Product category" project's labels, with its digit keys.
CATEGORIES = ["Mobile Phones", "TVs", "CPUs", "Digital Cameras", "Microwaves", "Dishwashers", "Washing Machines",
              "Freezers", "Fridge Freezers", "Fridges"]


def _many_labels(names):
    labels = [{"name": name, **({"shortcut": "1234567890"[n]} if n < 10 else {})} for n, name in enumerate(names)]
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, title="Product category",
                             label_schema={"labels": labels})
    ItemFactory(project=project, data={"title": LONG})
    return project


def _inside(box, viewport):
    return (0 <= box["x"] and box["x"] + box["width"] <= viewport["width"]
            and 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"])


@WIDTHS
def test_ten_labels_are_all_on_screen_with_submit(browser, live_server, viewport):
    # On a phone they once made one sideways-scrolling strip: three labels showed, nothing said there were more.
    project = _many_labels(CATEGORIES)
    page = _log_in(browser, live_server, verified_worker(), viewport)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("button.label:not([disabled])")
    for control in ["#ws-submit"] + [f"button.label >> nth={n}" for n in range(len(CATEGORIES))]:
        box = page.locator(control).bounding_box()
        assert _inside(box, viewport), (control, box)
    assert page.is_hidden("#ws-labels-more")
    _window_screenshot(page, f"ten-labels-{'phone' if viewport is PHONE else 'desktop'}")


def test_more_labels_than_the_footer_holds_scroll_with_a_cue(browser, live_server):
    names = CATEGORIES + [f"Category {n}" for n in range(11, 31)]
    project = _many_labels(names)
    page = _log_in(browser, live_server, verified_worker(), PHONE)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("button.label:not([disabled])")
    assert _inside(page.locator("#ws-submit").bounding_box(), PHONE)
    assert page.is_visible("#ws-labels-more")  # the cue that there are more labels below
    _window_screenshot(page, "thirty-labels-phone")
    last = page.locator("button.label").last
    assert not _inside(last.bounding_box(), PHONE) or page.evaluate(
        "(() => { const l = document.getElementById('ws-labels'); return l.scrollHeight > l.clientHeight; })()")
    page.eval_on_selector("#ws-labels", "l => { l.scrollTop = l.scrollHeight; }")
    page.wait_for_selector("#ws-labels-more", state="hidden")  # at the bottom, the cue goes
    assert _inside(last.bounding_box(), PHONE)
    last.click()
    page.wait_for_function("document.getElementById('ws-done').textContent === '1'")
    assert Annotation.objects.get().answer == "Category 30"


@pytest.mark.parametrize("touch", [False, True], ids=["mouse", "touch-phone"])
def test_keyboard_help_only_where_there_is_a_keyboard(browser, live_server, touch):
    project = _many_labels(CATEGORIES)
    options = {"viewport": PHONE, "has_touch": True, "is_mobile": True} if touch else {"viewport": DESKTOP}
    page = _log_in(browser, live_server, verified_worker(), **options)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_selector("button.label:not([disabled])")
    assert page.evaluate("matchMedia('(hover: hover) and (pointer: fine)').matches") is not touch
    assert page.is_visible(".help-keys") is not touch
    assert page.is_visible(".help-touch") is touch
    assert page.is_visible("#ws-submit kbd") is not touch
    assert page.is_visible(".instructions summary kbd") is not touch
    if touch:
        assert "Tap a label" in page.inner_text(".ws-help") and "Esc" not in page.inner_text(".ws-help")
        _window_screenshot(page, "help-touch-phone")


@WIDTHS
def test_dashboard_says_quality_in_words_and_shows_a_project_with_nothing_left(browser, live_server, viewport):
    open_project = _classification(3)
    finished = _classification(1, title="Finished for you")
    worker = verified_worker()
    WorkerProfile.objects.filter(user=worker).update(quality_score=0.83438, weight=0.696)
    from tasks import assignment as assignment_service
    from annotations.services import annotation_submit

    mine = assignment_service.assignment_next(worker=worker, project=finished).assignment
    annotation_submit(worker=worker, assignment_id=mine.pk, answer="TV")
    page = _log_in(browser, live_server, worker, viewport)
    stats = page.inner_text(".stats")
    assert "83%" in stats and "0.83438" not in stats and "70%" in stats
    cards = page.locator("article.project")
    assert cards.nth(0).inner_text().count("Start labelling") == 1 and open_project.title in cards.nth(0).inner_text()
    assert "Nothing left for you" in cards.nth(1).inner_text() and cards.nth(1).locator("a.button").count() == 0
    _screenshot(page, f"dashboard-{'phone' if viewport is PHONE else 'desktop'}")


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
    page.click("button.label >> nth=0")  # one click labels and submits (no review step by default)
    page.wait_for_function(refused)
    assert page.evaluate("document.getElementById('ws-done').textContent") == "1"
    _screenshot(page, "refused-after-submit")
    Assignment.objects.filter(worker=strong).delete()
    page.wait_for_function(showing_an_item)
    _screenshot(page, "served-after-retry")
    assert Assignment.objects.filter(worker=weak, state=AssignmentState.LIVE).count() == 1
    assert Annotation.objects.filter(worker=weak).count() == 1
