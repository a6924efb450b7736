"""Image and audio projects whose items are uploaded files, labelled in a real Chromium: the page loads the
media through the permission-checked view, and that URL is refused to anyone else."""

import pytest
from django.core.files.base import ContentFile

from annotations.models import Annotation
from tasks.models import ProjectStatus, TaskType
from tests.annotations.test_browser import CHROMIUM, _done, _log_in, browser  # noqa: F401 (fixture)
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.media_files import png_bytes, wav_bytes
from tests.tasks.test_assignment import verified_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium); CI installs it"),
    pytest.mark.django_db(transaction=True),
]

LOADED = {
    TaskType.IMAGE: "document.querySelector('#ws-item img') && document.querySelector('#ws-item img').naturalWidth > 0",
    TaskType.AUDIO: "document.querySelector('#ws-item audio') && document.querySelector('#ws-item audio').duration > 0",
}


@pytest.mark.parametrize("task_type, name, content", [
    (TaskType.IMAGE, "phone.png", png_bytes()), (TaskType.AUDIO, "clip.wav", wav_bytes()),
])
def test_an_uploaded_media_project_is_labelled_and_its_media_refused_to_others(
        browser, live_server, task_type, name, content):
    project = ProjectFactory(task_type=task_type, status=ProjectStatus.PUBLISHED, gold_share=0.0, item_fields=[],
                             label_schema={"labels": [{"name": "Phone", "shortcut": "1"}, {"name": "TV", "shortcut": "2"}]})
    items = [ItemFactory(project=project, data={}) for _ in range(2)]
    for item in items:
        item.media.save(name, ContentFile(content), save=True)
    worker = verified_worker()
    page = _log_in(browser, live_server, worker)
    page.goto(f"{live_server.url}/work/{project.pk}/")
    page.wait_for_function(LOADED[task_type])
    media_url = page.evaluate("document.querySelector('#ws-item img, #ws-item audio').getAttribute('src')")
    assert media_url.startswith("/api/items/")
    page.keyboard.press("1")
    _done(page, 1)
    page.wait_for_function(LOADED[task_type])  # the second item's file, loaded the same way
    page.keyboard.press("2")
    _done(page, 2)
    assert sorted(Annotation.objects.filter(worker=worker).values_list("answer", flat=True)) == ["Phone", "TV"]

    # Once answered the file is no longer the worker's to see; another annotator and a stranger never saw it.
    assert page.goto(f"{live_server.url}{media_url}").status == 404
    other = _log_in(browser, live_server, verified_worker())
    assert other.goto(f"{live_server.url}{media_url}").status == 404
    stranger = browser.new_page()
    assert stranger.goto(f"{live_server.url}{media_url}").status in (401, 403)
