"""The names the admin shows for our models: Django's default plural only appends "s" ("Earnings entrys")."""

import re

import pytest
from django.apps import apps
from django.urls import reverse

OUR_APPS = ("accounts", "tasks", "annotations", "quality", "training")


def test_the_admin_navigation_says_earnings_entries(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Earnings entries" in page and "entrys" not in page.lower()


@pytest.mark.parametrize("model", [m for m in apps.get_models() if m._meta.app_label in OUR_APPS],
                         ids=lambda model: model.__name__)
def test_no_model_has_a_plural_made_by_appending_s_to_a_y(model):
    # A consonant then "ys" ("entrys", "qualitys", "policys") is Django's default at work, never English.
    assert not re.search(r"[^aeiou]ys$", str(model._meta.verbose_name_plural))
