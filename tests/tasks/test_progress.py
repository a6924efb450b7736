"""Percent done counts real items only: gold items are never accepted, so a finished project reads 100%."""

import pytest
from django.urls import reverse

from tasks import selectors
from tasks.models import ItemState
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def finished_project_with_gold():
    project = ProjectFactory()
    ItemFactory.create_batch(9, project=project, state=ItemState.ACCEPTED)
    ItemFactory(project=project, gold="Phone")
    return project


def test_a_finished_project_with_gold_items_is_100_percent_done():
    project = selectors.projects_with_progress().get(pk=finished_project_with_gold().pk)
    assert selectors.percent_done(project) == 100.0
    assert selectors.project_statistics(project)["percent_done"] == 100.0


def test_percent_done_counts_accepted_over_real_items():
    project = ProjectFactory()
    ItemFactory.create_batch(3, project=project, state=ItemState.ACCEPTED)
    ItemFactory.create_batch(5, project=project)
    ItemFactory.create_batch(2, project=project, gold="TV")
    project = selectors.projects_with_progress().get(pk=project.pk)
    assert selectors.percent_done(project) == 37.5  # 3 of 8 real items; the 2 gold items count nowhere
    assert selectors.percent_done(selectors.projects_with_progress().get(pk=ProjectFactory().pk)) == 0.0


def test_the_admin_project_list_shows_a_finished_project_as_done(client, admin_user):
    finished_project_with_gold()
    client.force_login(admin_user)
    page = client.get(reverse("admin:tasks_project_changelist")).content.decode()
    assert "100.0%" in page and "90.0%" not in page
