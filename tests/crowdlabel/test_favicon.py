"""The site's icon: every page links it (the site's base layout and the admin's), and /favicon.ico, which browsers
ask for on a page that links none (ReDoc, an API answer), leads to it, so the log has no "Not Found:
/favicon.ico" line per page load (a user trial)."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db

LINK = f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">'


def test_the_icon_is_a_static_file():
    found = finders.find("favicon.svg")
    assert found and open(found).read().startswith("<svg")


@pytest.mark.parametrize("page", ["/accounts/login/", "/admin/login/"])  # base.html, admin/base_site.html
def test_the_base_pages_link_the_icon(client, page):
    response = client.get(page)
    assert response.status_code == 200
    assert LINK in response.content.decode()


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == static("favicon.svg")
