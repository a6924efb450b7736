"""The admin's project form: what the label editor writes (the same JSON as the raw box) and how problems are
told, each in words with where it is (label, field, or line and column of the JSON)."""

import json

import pytest
from django.urls import reverse

from django.contrib import admin
from django.test import RequestFactory

from tasks import schemas
from tasks.models import Project, ProjectStatus
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Colours", "task_type": "single_label", "item_fields": '["title"]',
    "difficulty": 1, "reward_amount": "0", "reward_currency": "eur", "overlap": 3, "max_overlap": 5,
    "gold_share": 0.05, "alpha": 0.6, "min_weight": 0, "lease_minutes": 10,
    "assignment_strategy": "weighted", "item_order": "breadth_first",
    "accept_confidence": 0.9, "early_stop_confidence": 0.98, "min_seconds": 2,
    "award_min_gold_checks": 5, "award_min_gold_accuracy": 0.8,
}


@pytest.fixture
def project_form(admin_user):
    """The form class the admin's add page uses (its fields less the read-only ones)."""
    request = RequestFactory().get("/")
    request.user = admin_user
    return admin.site._registry[Project].get_form(request)


def _data(labels=None, **fields):
    data = {**FORM, **fields}
    if labels is not None:
        data["label_schema"] = json.dumps({"labels": labels})
    return data


def _errors(form_class, data, field):
    form = form_class(data=data)
    assert not form.is_valid(), "the form took it"
    return form.errors[field]


def test_the_editors_json_is_accepted_in_its_order_with_colours_and_keys(project_form):
    form = project_form(data=_data([{"name": "Phone", "color": "#D62728", "shortcut": "P"}, {"name": " Smart  TV "}, "Radio"],
                 item_fields='[" title ", "brand"]'))
    assert form.is_valid(), form.errors
    labels = form.cleaned_data["label_schema"]["labels"]
    assert [l["name"] for l in labels] == ["Phone", "Smart TV", "Radio"]
    assert labels[0]["color"] == "#d62728" and labels[0]["shortcut"] == "p"
    assert all(l["color"].startswith("#") for l in labels)  # the palette fills the ones left without
    assert form.cleaned_data["item_fields"] == ["title", "brand"]


def test_invalid_json_in_the_box_says_line_and_column(project_form):
    broken = '{"labels": [\n  {"name": "Phone"}\n  {"name": "TV"}\n]}'
    [message] = _errors(project_form, _data(label_schema=broken), "label_schema")
    assert "line 3, column 3" in message and "Expecting ',' delimiter" in message
    assert '{"name": "TV"}' in message  # the line itself, to find it by
    assert "Enter a valid JSON" not in message
    [message] = _errors(project_form, _data(item_fields='["title",]'), "item_fields")
    assert "line 1, column 10" in message


def test_duplicate_names_name_both_labels(project_form):
    [message] = _errors(project_form, _data([{"name": "Phone"}, {"name": "TV"}, {"name": "phone"}]), "label_schema")
    assert message == "Label 3 (“phone”): the name is used twice (also by label 1 (“Phone”))."


def test_duplicate_shortcuts_are_caught_whatever_their_case(project_form):
    [message] = _errors(project_form, _data([{"name": "Phone", "shortcut": "a"}, {"name": "TV", "shortcut": "A"}]), "label_schema")
    assert message == "Label 2 (“TV”): the shortcut 'a' is used twice (also by label 1 (“Phone”))."


@pytest.mark.parametrize("key, what", [("?", "opens the instructions"), (" ", "presses the focused button")])
def test_keys_the_labelling_page_keeps_are_refused_with_what_they_do(project_form, key, what):
    [message] = _errors(project_form, _data([{"name": "Phone", "shortcut": key}, {"name": "TV"}]), "label_schema")
    assert message.startswith("Label 1 (“Phone”): the shortcut")
    assert f"kept by the labelling page (it {what})" in message


def test_empty_names_and_every_other_problem_are_told_at_once(project_form):
    messages = _errors(project_form, _data([{"name": "Phone", "shortcut": "1"}, {"name": "  "},
                              {"name": "TV", "shortcut": "1", "color": "blue"}]), "label_schema")
    assert messages == [
        "Label 2: the name is empty.",
        "Label 3 (“TV”): the colour must look like #1f77b4.",
        "Label 3 (“TV”): the shortcut '1' is used twice (also by label 1 (“Phone”)).",
    ]


def test_item_field_names_must_be_filled_in_and_distinct(project_form):
    messages = _errors(project_form, _data([{"name": "A"}, {"name": "B"}], item_fields='["title", "", "Title"]'), "item_fields")
    assert messages == ["Field 2: the name is empty.",
                        "Field 3 (“Title”): the name is used twice (also by field 1)."]
    [message] = _errors(project_form, _data([{"name": "A"}], item_fields='{"title": 1}'), "item_fields")
    assert "must be a list of field names" in message


def test_the_add_page_offers_the_editor_over_the_json_box(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_project_add")).content.decode()
    assert "tasks/label_editor.js" in page and "tasks/label_editor.css" in page
    # The box is still the field (it works without JavaScript), and tells the script what it holds.
    assert 'name="label_schema"' in page and "data-label-editor" in page and "opens the instructions" in page
    assert 'name="item_fields"' in page


def test_a_bad_schema_posted_through_the_admin_is_shown_on_the_page_and_nothing_saved(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("admin:tasks_project_add"), {
        **FORM, "label_schema": '{"labels": [{"name": "A", "shortcut": "?"}, {"name": "A"}]}'})
    page = response.content.decode()
    assert response.status_code == 200 and not Project.objects.exists()
    assert "kept by the labelling page" in page and "the name is used twice" in page


def test_the_editors_json_of_a_published_schema_counts_as_unchanged(client, admin_user):
    """The editor leaves out empty descriptions; a published project's other fields must still be editable."""
    labels = [{"name": "Phone", "shortcut": "1"}, {"name": "TV", "shortcut": "2"}]
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, item_fields=["title"],
                             label_schema=schemas.label_schema_clean({"labels": labels}))  # as the services store it
    ItemFactory(project=project)
    project.refresh_from_db()
    as_the_editor_writes = {"labels": [{k: v for k, v in label.items() if v} for label in project.label_schema["labels"]]}
    client.force_login(admin_user)
    response = client.post(reverse("admin:tasks_project_change", args=[project.pk]), {
        **FORM, "title": "Renamed", "task_type": project.task_type, "label_schema": json.dumps(as_the_editor_writes)})
    assert response.status_code == 302, response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.title == "Renamed" and [l["name"] for l in project.label_schema["labels"]] == ["Phone", "TV"]
