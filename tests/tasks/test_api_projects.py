import io

import pytest
from django.urls import reverse

from tasks.models import Item, Project, ProjectStatus
from tests.factories import AnnotatorFactory, IntegratorFactory, ReviewerFactory, token_for
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db

CATEGORY_PROJECT = {
    "title": "Product category",
    "task_type": "single_label",
    "label_schema": {"labels": [{"name": "Phone", "shortcut": "1"}, {"name": "TV", "shortcut": "2"}]},
    "item_fields": ["title"],
    "overlap": 3,
    "reward_amount": "0.0200",
}


def as_user(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api_client


@pytest.fixture
def integrator_api(api_client):
    return as_user(api_client, IntegratorFactory())


def test_an_integrator_creates_imports_and_publishes_over_the_api_alone(integrator_api):
    created = integrator_api.post(reverse("api-projects"), CATEGORY_PROJECT, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    # A shortcut-less label got a colour from the palette.
    assert all(label["color"].startswith("#") for label in created.json()["label_schema"]["labels"])

    refused = integrator_api.post(reverse("api-project-publish", args=[pk]))
    assert refused.status_code == 400 and "no items" in str(refused.json())

    csv_file = io.BytesIO(b"id,title,gold\np1,Apple iPhone 8 64GB,Phone\np2,Samsung 55in QLED TV,\np3,Nokia 3310,\n")
    csv_file.name = "items.csv"
    imported = integrator_api.post(reverse("api-project-items-import", args=[pk]), {"file": csv_file}, format="multipart")
    assert imported.status_code == 201, imported.json()
    assert imported.json()["created"] == 3

    added = integrator_api.post(
        reverse("api-project-items", args=[pk]),
        [{"external_id": "p4", "data": {"title": "LG OLED 65"}}, {"data": {"title": "Pixel 9"}, "gold": "Phone"}],
        format="json",
    )
    assert added.status_code == 201, added.json()

    published = integrator_api.post(reverse("api-project-publish", args=[pk]))
    assert published.status_code == 200 and published.json()["status"] == "published"

    stats = integrator_api.get(reverse("api-project-statistics", args=[pk])).json()
    assert stats["items"] == 5 and stats["gold_items"] == 2 and stats["labels_wanted"] == 9


def test_bad_label_schema_is_refused_with_the_reason(integrator_api):
    body = CATEGORY_PROJECT | {"label_schema": {"labels": [{"name": "A", "shortcut": "1"}, {"name": "B", "shortcut": "1"}]}}
    response = integrator_api.post(reverse("api-projects"), body, format="json")
    assert response.status_code == 400
    assert "shortcut '1' is used twice" in str(response.json())
    assert not Project.objects.exists()


def test_bulk_items_with_one_bad_item_store_nothing(integrator_api):
    project = ProjectFactory()
    response = integrator_api.post(
        reverse("api-project-items", args=[project.pk]),
        [{"data": {"title": "ok"}}, {"data": {"title": "also ok"}, "gold": "Toaster"}],
        format="json",
    )
    assert response.status_code == 400
    assert "Unknown label 'Toaster'" in str(response.json()["errors"])
    assert not Item.objects.exists()


def test_items_are_paginated_and_filtered(integrator_api):
    project = ProjectFactory()
    ItemFactory.create_batch(7, project=project)
    ItemFactory.create_batch(2, project=project, is_gold=True, gold="Phone")
    page = integrator_api.get(reverse("api-project-items", args=[project.pk]), {"page_size": 5}).json()
    assert page["count"] == 9 and len(page["results"]) == 5 and page["next"]
    gold = integrator_api.get(reverse("api-project-items", args=[project.pk]), {"is_gold": "true"}).json()
    assert gold["count"] == 2


def test_project_update_and_lifecycle(integrator_api):
    project = ProjectFactory()
    ItemFactory(project=project)
    url = reverse("api-project", args=[project.pk])
    assert integrator_api.patch(url, {"overlap": 5, "max_overlap": 7}, format="json").json()["overlap"] == 5
    assert integrator_api.patch(url, {"max_overlap": 1}, format="json").status_code == 400
    assert integrator_api.post(reverse("api-project-publish", args=[project.pk])).status_code == 200
    locked = integrator_api.patch(url, {"task_type": "multi_label"}, format="json")
    assert locked.status_code == 400 and "Cannot change" in str(locked.json())
    assert integrator_api.post(reverse("api-project-pause", args=[project.pk])).json()["status"] == "paused"
    assert integrator_api.post(reverse("api-project-close", args=[project.pk])).json()["status"] == "closed"
    reopened = integrator_api.post(reverse("api-project-publish", args=[project.pk]))
    assert reopened.status_code == 400 and "closed" in str(reopened.json())


def test_projects_list_filters_by_status(integrator_api):
    ProjectFactory(status=ProjectStatus.PUBLISHED)
    ProjectFactory()
    response = integrator_api.get(reverse("api-projects"), {"status": "published"}).json()
    assert response["count"] == 1


def _integrator_endpoints(project):
    return [
        ("get", reverse("api-projects")),
        ("post", reverse("api-projects")),
        ("get", reverse("api-project", args=[project.pk])),
        ("patch", reverse("api-project", args=[project.pk])),
        ("post", reverse("api-project-publish", args=[project.pk])),
        ("post", reverse("api-project-pause", args=[project.pk])),
        ("post", reverse("api-project-close", args=[project.pk])),
        ("get", reverse("api-project-statistics", args=[project.pk])),
        ("get", reverse("api-project-items", args=[project.pk])),
        ("post", reverse("api-project-items", args=[project.pk])),
        ("post", reverse("api-project-items-import", args=[project.pk])),
        ("get", reverse("api-project-assignments", args=[project.pk])),
        ("post", reverse("api-project-push", args=[project.pk])),
    ]


@pytest.mark.parametrize("persona", ["anonymous", "annotator", "reviewer"])
def test_every_integrator_endpoint_denies_outsiders(api_client, persona):
    project = ProjectFactory()
    expected = 401
    if persona != "anonymous":
        as_user(api_client, {"annotator": AnnotatorFactory, "reviewer": ReviewerFactory}[persona]())
        expected = 403
    for method, url in _integrator_endpoints(project):
        response = getattr(api_client, method)(url, {}, format="json")
        assert response.status_code == expected, (persona, method, url, response.status_code)
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT and Project.objects.count() == 1
