"""Uploaded item media is served by a permission-checked, streamed view: to the annotator holding a live
assignment of the item, to staff and integrators; 404 to everyone else. Never at a public /media/ path."""

import os
import stat

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tasks import assignment as assignment_service
from tasks.models import Assignment, AssignmentState, ProjectStatus, TaskType
from tests.factories import IntegratorFactory, ReviewerFactory, token_for
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.media_files import png_bytes, wav_bytes
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


def _media_item(task_type=TaskType.IMAGE, name="shoe.png", content=None):
    project = ProjectFactory(task_type=task_type, status=ProjectStatus.PUBLISHED, gold_share=0.0, item_fields=[])
    item = ItemFactory(project=project, data={})
    item.media.save(name, ContentFile(content if content is not None else png_bytes()), save=True)
    return item


def _held_by(item, worker=None):
    worker = worker or verified_worker()
    claimed = assignment_service.assignment_next(worker=worker, project=item.project).assignment
    assert claimed.item_id == item.pk
    return worker, claimed


def _get(client, item):
    return client.get(reverse("item-media", args=[item.pk]))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_holder_of_the_assignment_gets_the_file_streamed_with_its_type(client):
    item = _media_item()
    worker, _ = _held_by(item)
    client.force_login(worker)
    response = _get(client, item)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "image/png" and _body(response) == png_bytes()
    assert "private" in response["Cache-Control"]


def test_audio_is_served_as_audio(client):
    item = _media_item(TaskType.AUDIO, "clip.wav", wav_bytes())
    worker, _ = _held_by(item)
    client.force_login(worker)
    assert _get(client, item)["Content-Type"] in ("audio/x-wav", "audio/wav")


def test_everyone_else_gets_404(client, api_client):
    item = _media_item()
    worker, claimed = _held_by(item)
    client.force_login(verified_worker())  # an annotator of the same project without this item
    assert _get(client, item).status_code == 404
    client.logout()
    assert _get(client, item).status_code in (401, 403)
    client.force_login(worker)
    Assignment.objects.filter(pk=claimed.pk).update(state=AssignmentState.RELEASED)
    assert _get(client, item).status_code == 404  # no longer held
    assert _get(client, _media_item()).status_code == 404  # another project's item


def test_staff_and_integrators_see_it_annotators_of_no_item_do_not(client, api_client):
    item = _media_item()
    client.force_login(ReviewerFactory())
    assert _get(client, item).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    assert api_client.get(reverse("item-media", args=[item.pk])).status_code == 200
    assert api_client.get(reverse("item-media", args=[item.pk + 999])).status_code == 404


def test_the_api_points_to_the_checked_view_not_a_public_path(client):
    item = _media_item()
    worker, _ = _held_by(item)
    client.force_login(worker)
    answer = client.post(reverse("api-project-next", args=[item.project_id])).json()
    assert answer["assignment"]["item"]["media"] == reverse("item-media", args=[item.pk])
    assert client.get(item.media.url).status_code == 404  # /media/... is not served
    assert reverse("item-media", args=[item.pk]) == item.media_url()


def test_an_uploaded_svg_is_a_download_not_a_page(client):
    item = _media_item(name="trick.svg", content=b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    client.force_login(ReviewerFactory())
    response = _get(client, item)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_uploaded_files_are_private_on_disk():
    item = _media_item()
    path = item.media.path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


@pytest.mark.parametrize("task_type, name, content", [
    (TaskType.IMAGE, "phone.png", png_bytes()), (TaskType.AUDIO, "clip.wav", wav_bytes()),
])
def test_a_project_manager_adds_an_uploaded_media_item_in_the_admin(client, task_type, name, content):
    """The admin's Data box was required and {} counts as empty, so no item could be added with just its file:
    uploaded-media projects could not be built by hand (fresh-eyes trial)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tasks.models import Item
    from tests.factories import PASSWORD, ProjectManagerFactory

    project = ProjectFactory(task_type=task_type, item_fields=[], overlap=2)
    client.login(username=ProjectManagerFactory().username, password=PASSWORD)
    form = {"project": project.pk, "external_id": "m1", "data": "{}", "gold": "null", "gold_explanation": "",
            "state": "open", "model_uncertainty": "-1.0", "source": "import", "priority": "0"}
    answer = client.post(reverse("admin:tasks_item_add"), {**form, "media": SimpleUploadedFile(name, content)})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    item = Item.objects.get(project=project, external_id="m1")
    assert item.media and item.data == {} and item.open_slots == 2 and len(item.content_hash) == 64

    # Without the file the item has nothing to show: refused, naming the field.
    refused = client.post(reverse("admin:tasks_item_add"), {**form, "external_id": "m2"})
    assert refused.status_code == 200 and f"The field &#x27;{task_type}&#x27; is missing or empty." in refused.content.decode()
    assert not Item.objects.filter(external_id="m2").exists()


def test_audio_is_served_in_ranges_so_the_player_can_seek(client):
    """A browser seeks in audio by asking for the bytes from a point on; Safari plays no audio served whole only."""
    sound = wav_bytes()
    item = _media_item(TaskType.AUDIO, "clip.wav", sound)
    worker, _ = _held_by(item)
    client.force_login(worker)
    url = reverse("item-media", args=[item.pk])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and _body(whole) == sound
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and _body(part) == sound[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(sound)}" and part["Content-Length"] == "100"
    assert part["Content-Type"] in ("audio/x-wav", "audio/wav")
    tail = client.get(url, HTTP_RANGE="bytes=-44")
    assert tail.status_code == 206 and _body(tail) == sound[-44:]
    past = client.get(url, HTTP_RANGE=f"bytes={len(sound)}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(sound)}"
    assert past.json()["code"] == "range_not_satisfiable"
    # Several ranges, and a range under a validator the server never gave: the whole file, as the RFC allows.
    for headers in ({"HTTP_RANGE": "bytes=0-1,5-9"}, {"HTTP_RANGE": "bytes=0-9", "HTTP_IF_RANGE": '"old"'}):
        response = client.get(url, **headers)
        assert response.status_code == 200 and _body(response) == sound


def test_a_range_is_no_way_around_the_permission(client):
    item = _media_item()
    client.force_login(verified_worker())  # holds no assignment of it
    assert client.get(reverse("item-media", args=[item.pk]), HTTP_RANGE="bytes=0-9").status_code == 404
