"""Pages send a Content-Security-Policy; Markdown instructions load nothing from another server."""

import pytest
from django.urls import reverse

from tasks.models import ProjectStatus
from tasks.rendering import instructions_html
from tests.tasks.factories import ProjectFactory
from tests.tasks.test_assignment import verified_worker

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["home", "account_login", "admin:login"])
def test_pages_send_a_content_security_policy(client, annotator, url_name):
    client.force_login(annotator)
    policy = client.get(reverse(url_name))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "img-src 'self' data:" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("source", [
    "https://tracker.example/pixel.gif", "http://tracker.example/p.gif", "//tracker.example/p.gif",
    "/\\tracker.example/p.gif", " HTTPS://tracker.example/p.gif",
])
def test_external_images_lose_their_source(source):
    html = instructions_html(f'![pixel]({source}) and <img src="{source}">')
    assert "tracker.example" not in html and "<img" in html  # the alt text stays, nothing loads


def test_local_images_and_external_links_stay():
    html = instructions_html("![chart](/static/chart.png) [the guide](https://docs.example/guide)")
    assert 'src="/static/chart.png"' in html and 'href="https://docs.example/guide"' in html


def test_the_workspace_renders_instructions_without_the_pixel(client):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, instructions="Read this ![x](https://tracker.example/p.gif)")
    client.force_login(verified_worker())
    response = client.get(reverse("workspace", args=[project.pk]))
    assert response.status_code == 200 and "tracker.example" not in response.content.decode()
    assert "img-src 'self' data: https: http:" in response["Content-Security-Policy"]
