"""Pages send a Content-Security-Policy; Markdown instructions load nothing from another server."""

import pytest
from django.urls import reverse

from tasks.models import ProjectStatus
from tasks.rendering import instructions_html
from tests.tasks.factories import ProjectFactory
from tests.factories import verified_worker

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


# --- core.csp: the site's headers built once, the same headers as django-csp's --------------------

def _headers_from(middleware_class, request, response):
    middleware = middleware_class(lambda request: response)
    middleware.process_request(request)
    if getattr(request, "use_nonce", False):
        str(request.csp_nonce)  # a template that printed the nonce
    middleware.process_response(request, response)
    return {name: response.get(name) for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")}


def _case(path, **attributes):
    from django.http import HttpResponse
    from django.test import RequestFactory

    request, response = RequestFactory().get(path), HttpResponse("x")
    for name, value in attributes.items():
        setattr(request if name == "use_nonce" else response, name, value)
    return request, response


@pytest.mark.parametrize("attributes", [
    {}, {"use_nonce": True}, {"_csp_update": {"img-src": ["https:"]}}, {"_csp_replace": {"img-src": ["*"]}},
    {"_csp_exempt": True}, {"_csp_config": {"default-src": ["'none'"]}},
])
def test_core_csp_sends_what_django_csp_sends(attributes, settings):
    import re

    from csp.constants import NONCE, SELF
    from csp.middleware import CSPMiddleware as DjangoCSPMiddleware

    from core.csp import CSPMiddleware

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "report-uri": "/r"}}
    ours = _headers_from(CSPMiddleware, *_case("/api/x/", **attributes))
    theirs = _headers_from(DjangoCSPMiddleware, *_case("/api/x/", **attributes))

    def without_nonce(headers):  # each request draws its own nonce
        return {name: value and re.sub(r"'nonce-[^']+'", "'nonce-N'", value) for name, value in headers.items()}

    assert without_nonce(ours) == without_nonce(theirs)
    assert ("'nonce-" in (ours["Content-Security-Policy"] or "")) == bool(attributes.get("use_nonce"))
    assert ours["Content-Security-Policy-Report-Only"] == "default-src 'self'; report-uri /r"


def test_core_csp_follows_a_change_of_the_settings(settings):
    from core.csp import CSPMiddleware

    first = _headers_from(CSPMiddleware, *_case("/"))["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]},
                                        "EXCLUDE_URL_PREFIXES": ["/excluded/"]}
    assert first != "default-src 'none'"
    assert _headers_from(CSPMiddleware, *_case("/"))["Content-Security-Policy"] == "default-src 'none'"
    assert _headers_from(CSPMiddleware, *_case("/excluded/page"))["Content-Security-Policy"] is None
