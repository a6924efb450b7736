"""Project checks said in words: warnings on save, the change page's Publish button, and errors that never
name a database constraint."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tasks.models import Project, ProjectStatus
from tests.factories import AnnotatorFactory, IntegratorFactory, token_for
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Colours", "task_type": "single_label", "item_fields": '["title"]',
    "label_schema": '{"labels": [{"name": "Red"}, {"name": "Blue"}]}', "description": "", "instructions": "",
    "difficulty": 1, "reward_amount": "0", "reward_currency": "eur", "overlap": 3, "max_overlap": 5,
    "gold_share": 0.05, "alpha": 0.6, "accept_confidence": 0.9, "early_stop_confidence": 0.98, "min_weight": 0,
    "lease_minutes": 10, "min_seconds": 2, "assignment_strategy": "weighted", "item_order": "breadth_first",
    "verified_only": "on", "award_min_gold_checks": 5, "award_min_gold_accuracy": 0.8,
}


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


# --- Warnings on save ------------------------------------------------------------------------------------

def test_saving_a_project_warns_of_a_past_deadline_and_of_no_item_fields(client, admin_user):
    client.force_login(admin_user)
    past = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%d")
    body = FORM | {"item_fields": "[]", "deadline_0": past, "deadline_1": "12:00:00"}
    response = client.post(reverse("admin:tasks_project_add"), body, follow=True)
    assert Project.objects.count() == 1
    said = _messages(response)
    assert "has passed: a project hands out no work after its deadline" in said
    assert "names no item fields, so each item needs a 'text' field" in said


def test_a_project_with_fields_and_a_future_deadline_saves_without_warnings(client, admin_user):
    client.force_login(admin_user)
    future = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    response = client.post(reverse("admin:tasks_project_add"), FORM | {"deadline_0": future, "deadline_1": "12:00"},
                           follow=True)
    assert "deadline" not in _messages(response) and "item fields" not in _messages(response)


def test_the_api_lists_the_same_warnings(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    body = {"title": "x", "task_type": "single_label", "label_schema": {"labels": ["A", "B"]}, "reward_amount": "0.05",
            "deadline": (timezone.now() - timedelta(hours=1)).isoformat()}
    created = api_client.post(reverse("api-projects"), body, format="json")
    assert created.status_code == 201
    warnings = created.json()["warnings"]
    assert len(warnings) == 2 and "has passed: a project hands out no work after its deadline" in warnings[0]
    assert warnings[1].startswith("The project names no item fields, so each item needs a 'text' field")


def test_a_reward_of_0_is_warned_of_on_save_and_on_publish(client, admin_user, api_client):
    zero = "The reward is 0.00 EUR: annotators earn nothing for an accepted answer."
    client.force_login(admin_user)
    saved = client.post(reverse("admin:tasks_project_add"), FORM | {"reward_amount": "0"}, follow=True)
    assert zero in _messages(saved)
    project = Project.objects.get()
    ItemFactory(project=project)
    published = client.post(reverse("admin:tasks_project_publish", args=[project.pk]), follow=True)
    assert zero in _messages(published)
    other = ProjectFactory(title="Shoes", reward_currency="EUR")
    ItemFactory(project=other)
    listed = client.post(reverse("admin:tasks_project_changelist"),
                         {"action": "publish", "_selected_action": [other.pk]}, follow=True)
    assert f"Shoes: {zero}" in _messages(listed)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    body = {"title": "x", "task_type": "single_label", "label_schema": {"labels": ["A", "B"]}, "item_fields": ["t"]}
    assert any("The reward is 0.00" in w for w in api_client.post(reverse("api-projects"), body, format="json").json()["warnings"])
    paid = client.post(reverse("admin:tasks_project_add"), FORM | {"title": "Paid", "reward_amount": "0.02"},
                       follow=True)
    assert "The reward is" not in _messages(paid)


def test_a_past_deadline_stops_publishing():
    project = ProjectFactory(deadline=timezone.now() - timedelta(minutes=1))
    ItemFactory(project=project)
    with pytest.raises(ValidationError, match="has passed"):
        services.project_publish(project=project)


def test_a_project_whose_items_are_all_gold_cannot_be_published(client, admin_user, api_client):
    """Gold items are checks, never work: published alone they leave every annotator with nothing to do."""
    project = ProjectFactory()
    ItemFactory.create_batch(2, project=project, gold="Phone")
    with pytest.raises(ValidationError, match="Every item is gold"):
        services.project_publish(project=project)
    client.force_login(admin_user)
    response = client.post(reverse("admin:tasks_project_changelist"),
                           {"action": "publish", "_selected_action": [project.pk]}, follow=True)
    assert "Every item is gold (a check with a known answer), so there is nothing to label" in _messages(response)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    refused = api_client.post(reverse("api-project-publish", args=[project.pk]))
    assert refused.status_code == 400 and "Every item is gold" in str(refused.json())
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT
    ItemFactory(project=project)  # one real item: now there is work
    assert services.project_publish(project=project).status == ProjectStatus.PUBLISHED


# --- The Publish button ----------------------------------------------------------------------------------

def test_change_page_has_a_publish_button_that_publishes_and_reports(client, admin_user):
    project = ProjectFactory(title="Phones")
    ItemFactory.create_batch(3, project=project)
    ItemFactory(project=project, gold="Phone")
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_project_change", args=[project.pk])).content.decode()
    assert 'id="publish-button"' in page and reverse("admin:tasks_project_publish", args=[project.pk]) in page
    response = client.post(reverse("admin:tasks_project_publish", args=[project.pk]), follow=True)
    assert "Published “Phones”: 4 item(s), 1 of them gold, 3 label(s), 3 answer(s) wanted per item." in (
        _messages(response))
    project.refresh_from_db()
    assert project.status == ProjectStatus.PUBLISHED
    page = client.get(reverse("admin:tasks_project_change", args=[project.pk])).content.decode()
    assert 'id="publish-button"' not in page  # published already


def test_publish_button_refuses_with_the_reasons(client, admin_user):
    project = ProjectFactory(label_schema={"labels": [{"name": "Only"}]})
    client.force_login(admin_user)
    response = client.post(reverse("admin:tasks_project_publish", args=[project.pk]), follow=True)
    said = _messages(response)
    assert "Cannot publish: A classification project needs at least two labels. The project has no items." in said
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


def test_publish_button_is_post_only_and_denies_non_admins(client, admin_user, reviewer):
    project = ProjectFactory()
    ItemFactory(project=project)
    url = reverse("admin:tasks_project_publish", args=[project.pk])
    client.force_login(admin_user)
    assert client.get(url).status_code == 405
    client.force_login(AnnotatorFactory())
    assert client.post(url).status_code == 302  # to the admin log-in
    client.force_login(reviewer)
    assert client.post(url).status_code == 403
    assert 'id="publish-button"' not in client.get(reverse("admin:tasks_project_change", args=[project.pk])).content.decode()
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


# --- Errors in words ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, field, words", [
    ({"overlap": 0, "max_overlap": 3}, "overlap", "greater than or equal to 1"),
    ({"gold_share": 2}, "gold_share", "less than or equal to 1"),
    ({"alpha": -1}, "alpha", "greater than or equal to 0"),
    ({"lease_minutes": 0}, "lease_minutes", "greater than or equal to 1"),
    ({"reward_amount": "-1"}, "reward_amount", "greater than or equal to 0"),
    ({"accept_confidence": 3}, "accept_confidence", "less than or equal to 1"),
])
def test_api_names_the_field_and_never_the_constraint(api_client, body, field, words):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    response = api_client.patch(reverse("api-project", args=[ProjectFactory().pk]), body, format="json")
    assert response.status_code == 400
    assert words in response.json()[field][0] and "tasks_project" not in str(response.json())


def test_admin_form_names_the_field_and_never_the_constraint(client, admin_user):
    client.force_login(admin_user)
    page = client.post(reverse("admin:tasks_project_add"), FORM | {"overlap": 0, "gold_share": 2}).content.decode()
    assert "tasks_project" not in page and "Ensure this value is greater than or equal to 1." in page
    page = client.post(reverse("admin:tasks_project_add"), FORM | {"overlap": 4, "max_overlap": 3}).content.decode()
    assert "tasks_project" not in page and "The maximum overlap must be at least the overlap." in page
    assert not Project.objects.exists()


def test_services_translate_constraints_that_reach_the_database(monkeypatch):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as refused:
        services.project_update(project=project, overlap=0)
    assert refused.value.message_dict == {"overlap": ["The overlap must be at least 1."]}

    def failing_save(*args, **kwargs):
        raise IntegrityError('new row violates check constraint "tasks_project_lease_gte_1"')

    monkeypatch.setattr(Project, "save", failing_save)
    with pytest.raises(ValidationError) as refused:
        services.project_update(project=project, title="renamed")
    assert refused.value.message_dict == {"lease_minutes": ["The lease must be at least 1 minute."]}
