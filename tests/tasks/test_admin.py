import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks.models import Item, Project, ProjectStatus
from tests.factories import AnnotatorFactory
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_project_list_shows_progress_columns(client, admin_user):
    project = ProjectFactory(title="Phones and TVs")
    ItemFactory.create_batch(4, project=project)
    ItemFactory(project=project, state="accepted")
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_project_changelist")).content.decode()
    for column in ("Items", "Labels collected", "Accepted", "Needs review", "% done"):
        assert column in page
    assert "20.0%" in page  # 1 of 5 accepted


def _action(client, action, projects):
    return client.post(
        reverse("admin:tasks_project_changelist"),
        {"action": action, "_selected_action": [p.pk for p in projects]},
        follow=True,
    )


def test_publish_action_refuses_an_empty_project_with_the_reason(client, admin_user):
    empty = ProjectFactory()
    client.force_login(admin_user)
    response = _action(client, "publish", [empty])
    assert "Cannot publish: The project has no items." in response.content.decode()
    empty.refresh_from_db()
    assert empty.status == ProjectStatus.DRAFT


def test_publish_pause_close_actions(client, admin_user):
    project = ProjectFactory()
    ItemFactory(project=project)
    client.force_login(admin_user)
    for action, status in (("publish", "published"), ("pause", "paused"), ("close", "closed")):
        _action(client, action, [project])
        project.refresh_from_db()
        assert project.status == status


def test_admin_creates_a_project_through_the_form(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("admin:tasks_project_add"), {
        "title": "Colours", "task_type": "single_label", "item_fields": '["title"]',
        "label_schema": '{"labels": [{"name": "Red"}, {"name": "Blue", "color": "not-a-colour"}]}',
        "difficulty": 1, "reward_amount": "0", "reward_currency": "eur", "overlap": 3, "max_overlap": 5,
        "gold_share": 0.05, "alpha": 0.6, "min_weight": 0, "lease_minutes": 10,
        "assignment_strategy": "weighted", "item_order": "breadth_first",
    })
    assert response.status_code == 200 and "the colour must look like" in response.content.decode()
    assert not Project.objects.exists()


def test_import_preview_reports_bad_rows_and_offers_no_import(client, admin_user):
    project = ProjectFactory()
    rows = b"id,title,gold\n" + b"".join(b"i%d,title %d,\n" % (n, n) for n in range(50)) + b"bad,,Phone\n"
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:tasks_project_import", args=[project.pk]),
        {"file": SimpleUploadedFile("items.csv", rows), "mapping": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "cannot be imported as it is" in page
    assert "<td>Line 52</td>" in page and "The field &#x27;title&#x27; is missing or empty." in page
    assert 'id="import-confirm"' not in page
    assert not Item.objects.exists()


def test_import_previews_then_imports_a_good_file_on_confirmation(client, admin_user, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    rows = b"id,title\na,Apple iPhone\nb,Samsung TV\n"
    client.force_login(admin_user)
    url = reverse("admin:tasks_project_import", args=[project.pk])
    preview = client.post(url, {"file": SimpleUploadedFile("items.csv", rows), "mapping": ""})
    assert preview.status_code == 200 and "Import 2 row(s)" in preview.content.decode()
    assert not Item.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # the background job, run at once (eager)
        confirmed = client.post(url, {"staged": preview.context["staged"]})
    page = client.get(confirmed["Location"]).content.decode()  # the job's page
    assert "2 item(s) created" in page and 'id="import-done"' in page
    assert set(project.items.values_list("external_id", flat=True)) == {"a", "b"}


def test_item_admin_filters_by_state_and_gold(client, admin_user):
    project = ProjectFactory()
    ItemFactory(project=project, external_id="plain-one")
    ItemFactory(project=project, external_id="gold-one", gold="Phone")
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_item_changelist"), {"is_gold__exact": "1"}).content.decode()
    assert "gold-one" in page and "plain-one" not in page


@pytest.mark.parametrize("name, args, reviewer_status", [
    # Reviewers read projects and items (they adjudicate them) but neither publish, import nor assign.
    ("admin:tasks_project_changelist", [], 200), ("admin:tasks_item_changelist", [], 200),
    ("admin:tasks_project_add", [], 403), ("admin:tasks_assignment_changelist", [], 403),
    ("admin:tasks_project_import", ["PK"], 403),
])
def test_admin_pages_deny_annotators_and_limit_reviewers(client, reviewer, name, args, reviewer_status):
    project = ProjectFactory()
    url = reverse(name, args=[project.pk if a == "PK" else a for a in args])
    client.force_login(AnnotatorFactory())
    assert client.get(url).status_code == 302  # to the admin log-in
    client.force_login(reviewer)
    assert client.get(url).status_code == reviewer_status


def test_reviewer_cannot_publish(client, reviewer):
    project = ProjectFactory()
    ItemFactory(project=project)
    client.force_login(reviewer)
    client.post(reverse("admin:tasks_project_changelist"), {"action": "publish", "_selected_action": [project.pk]})
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


def test_push_batch_action_distributes_items_by_weight(client, admin_user):
    from tasks.models import Assignment
    from tests.factories import verified_worker

    project = ProjectFactory(status=ProjectStatus.PUBLISHED, overlap=1)
    ItemFactory.create_batch(30, project=project)
    strong, weak = verified_worker(weight=2.0), verified_worker(weight=1.0)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:tasks_project_changelist"),
        {"action": "push_batch", "_selected_action": [project.pk], "count": 30}, follow=True,
    )
    assert "pushed 30 item(s) to 2 worker(s)" in response.content.decode()
    assert Assignment.objects.filter(worker=strong).count() == 20
    assert Assignment.objects.filter(worker=weak).count() == 10
