"""Issue 16, "it must show" 2 and 3 (integrator half): organisation B never learns anything about
organisation A, and integrators never learn who a worker is.

- Integrator B gets 404 for every object of A on every endpoint (the same answer as for an id that does not
  exist), and B's reviewer and project manager get in the admin what a missing object gets.
- No list or search B can make (API lists, exports, the admin changelists of B's staff) returns A's rows: A's
  rows carry the marker ACME everywhere a person could read them, and every response body is scanned for it.
- No integrator API response (every endpoint, lists, exports) carries a worker's username, e-mail or name."""

import io
import zipfile

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from accounts.permissions import IsAnnotator
from tasks.models import AssignmentState, ItemState, PracticeItem, ProjectStatus
from tests.factories import (
    IntegratorFactory, OrganisationFactory, ProjectManagerFactory, ReviewerFactory, member_of, token_for,
)
from tests.quality.factories import AnnotationFactory, AssignmentFactory, ItemDecisionFactory, SampledReviewFactory
from tests.tasks.factories import ImportJobFactory, ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory
from tests.webhooks.factories import WebhookEndpointFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db

ACME = "acmesecret"  # in every readable field of organisation A's rows
WORKER = {"username": "zebedee-worker", "email": "zebedee.hidden@mailbox.example", "first_name": "Zebedee",
          "last_name": "Quaxley"}
MISSING_ID = 987654321
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
METHODS = ("get", "post", "patch", "put", "delete")


def _organisation_rows(organisation, worker, marker: str) -> dict:
    """One organisation's project with everything an integrator can reach: items (one gold), answers, a
    decision, a sampled review, a live assignment, practice, a run and its model version, a failed import job."""
    project = ProjectFactory(organisation=organisation, status=ProjectStatus.PUBLISHED, title=f"{marker} project",
                             description=f"{marker} description", instructions=f"{marker} instructions")
    item = ItemFactory(project=project, external_id=f"{marker}-item", data={"title": f"{marker} text"},
                       media=SimpleUploadedFile(f"{marker}.png", PNG, "image/png"))
    gold = ItemFactory(project=project, external_id=f"{marker}-gold", data={"title": f"{marker} gold text"},
                       gold="Phone", gold_explanation=f"{marker} explanation")
    for target in (item, gold):
        AnnotationFactory(assignment__item=target, assignment__worker=worker, answer="Phone")
    # Three accepted items: the least a dataset (the hf export) is made of.
    accepted = [item] + [ItemFactory(project=project, external_id=f"{marker}-accepted-{n}") for n in range(2)]
    for target, label in zip(accepted, ["Phone", "TV", "CPU"]):
        target.state = ItemState.ACCEPTED
        target.save(update_fields=["state"])
        ItemDecisionFactory(item=target, label=label)
    live = AssignmentFactory(item=ItemFactory(project=project, external_id=f"{marker}-live"), worker=worker,
                             state=AssignmentState.LIVE, finished_at=None,
                             expires_at=timezone.now() + timezone.timedelta(minutes=30))
    practice = PracticeItem.objects.create(project=project, external_id=f"{marker}-practice",
                                           data={"title": f"{marker} practice"}, answer="Phone")
    SampledReviewFactory(item=item, label="Phone", previous_label="Phone")
    version = ModelVersionFactory(project=project, run__log=f"{marker} log")
    import_job = ImportJobFactory(project=project, filename=f"{marker}.csv",
                                  errors=[{"line": 2, "reason": f"{marker} title is empty."}])
    webhook_endpoint = WebhookEndpointFactory(organisation=organisation, url=f"https://{marker}.example/hooks",
                                              description=f"{marker} search service")
    return {"project": project, "item": item, "assignment": live, "practice": practice, "run": version.run,
            "version": version, "import_job": import_job, "webhook_endpoint": webhook_endpoint}


@pytest.fixture
def tenants(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org_a, org_b = OrganisationFactory(name=f"{ACME} org"), OrganisationFactory()
    worker = verified_worker(**WORKER)
    a = _organisation_rows(org_a, worker, ACME)
    b = _organisation_rows(org_b, worker, "bravo")
    people = {
        "integrator_a": member_of(org_a, IntegratorFactory()),
        "integrator_b": member_of(org_b, IntegratorFactory()),
        "reviewer_b": member_of(org_b, ReviewerFactory(), MembershipRole.REVIEWER),
        "manager_b": member_of(org_b, ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER),
    }
    return a, b, people, worker


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def _api_routes(resolver=None, prefix="") -> list[tuple[str, type]]:
    """Every /api/ route with an object id, and its view class."""
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            routes += _api_routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and prefix.startswith("api/") and "<int:pk>" in str(pattern.pattern):
            routes.append((prefix + str(pattern.pattern), pattern.callback.view_class))
    return routes


OBJECT_OF_ROUTE = {"api/training-runs/": "run", "api/model-versions/": "version", "api/items/": "item",
                   "api/assignments/": "assignment", "api/practice/": "practice", "api/imports/": "import_job",
                   "api/webhook-endpoints/": "webhook_endpoint"}


def _object_url(route: str, rows: dict | None) -> str:
    kind = next((kind for start, kind in OBJECT_OF_ROUTE.items() if route.startswith(start)), "project")
    return "/" + route.replace("<int:pk>", str(rows[kind].pk if rows else MISSING_ID))


def _is_annotator_api(view_class) -> bool:
    return IsAnnotator in getattr(view_class, "permission_classes", [])


def _call(client, method, url):
    return client.get(url) if method == "get" else getattr(client, method)(url, {}, format="json")


def test_integrator_b_gets_404_for_every_object_of_a_on_every_endpoint(tenants):
    a, _, people, _ = tenants
    routes = _api_routes()
    assert len(routes) > 25, "the resolver walk found the API"
    as_b, as_a, wrong = _api(people["integrator_b"]), _api(people["integrator_a"]), []
    for route, view_class in routes:
        for method in (m for m in METHODS if hasattr(view_class, m)):
            got = _call(as_b, method, _object_url(route, a))
            missing = _call(as_b, method, _object_url(route, None))
            # The annotator endpoints refuse every integrator alike (403, whatever the id): nothing revealed.
            expected = missing.status_code if _is_annotator_api(view_class) else 404
            if got.status_code != expected or ACME in got.content.decode(errors="replace"):
                wrong.append(f"{method.upper()} {route}: {got.status_code}, a missing id gets {missing.status_code}")
    for route, view_class in routes:  # the ids are real: A's own integrator reaches them
        if not _is_annotator_api(view_class) and hasattr(view_class, "get"):
            if _call(as_a, "get", _object_url(route, a)).status_code in (403, 404):
                wrong.append(f"A's integrator cannot read GET {route}")
    assert wrong == []


def _b_list_urls(b: dict, a: dict) -> list[str]:
    """Every list and search B's integrator can make, on B's own project, asked for A's rows where a
    filter takes an id or a name."""
    pk = b["project"].pk
    lists = [f"/api/projects/?status={status}" for status in ("", "published", "draft")]
    lists += [reverse("api-webhook-endpoints")]
    lists += [reverse(name, args=[pk]) for name in (
        "api-project-items", "api-project-annotations", "api-project-results", "api-project-training-runs",
        "api-project-model-versions", "api-project-statistics", "api-project-quality")]
    lists += [reverse("api-project-items", args=[pk]) + f"?external_id={a['item'].external_id}",
              reverse("api-project-annotations", args=[pk]) + f"?item={a['item'].pk}"]
    lists += [reverse("api-project-assignments", args=[pk]) + f"?state={state}" for state in AssignmentState.values]
    lists += [reverse("api-project-export", args=[pk]) + f"?export_format={fmt}" for fmt in ("jsonl", "csv", "hf")]
    return lists


def _body(response) -> str:
    """The response as text; a zip (the hf export) is read file by file."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    return content.decode(errors="replace")


def test_no_list_or_search_of_integrator_b_returns_a_rows(tenants):
    a, b, people, _ = tenants
    as_b = _api(people["integrator_b"])
    bodies = {url: _body(as_b.get(url)) for url in _b_list_urls(b, a)}
    assert "bravo" in bodies["/api/projects/?status="], "B's own rows are listed: the scan reads real lists"
    assert "bravo" in bodies[reverse("api-webhook-endpoints")]
    assert [url for url, body in bodies.items() if ACME in body] == []


def _admin_urls(params: str) -> list[str]:
    return [reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") + params
            for model in admin.site._registry]


@pytest.mark.parametrize("persona", ["reviewer_b", "manager_b"])
def test_no_admin_changelist_of_b_staff_returns_a_rows(tenants, client, persona):
    a, _, people, _ = tenants
    client.force_login(people[persona])
    leaked = []
    # Searched for the marker's start: the search box shows what was asked, never the whole marker.
    for url in _admin_urls("") + _admin_urls(f"?q={ACME[:6]}") + [reverse("admin:index")]:
        response = client.get(url)
        if response.status_code == 200 and ACME in response.content.decode():
            leaked.append(url)
    assert "bravo project" in client.get(reverse("admin:tasks_project_changelist")).content.decode()
    assert leaked == []


@pytest.mark.parametrize("persona", ["reviewer_b", "manager_b"])
def test_b_staff_get_for_a_objects_what_a_missing_object_gets(tenants, client, persona):
    a, _, people, _ = tenants
    client.force_login(people[persona])
    objects = {"tasks_project": a["project"], "tasks_item": a["item"], "training_trainingrun": a["run"],
               "training_modelversion": a["version"], "quality_projectquality": a["project"],
               "quality_reviewqueueitem": a["item"]}
    wrong = []
    for name, obj in objects.items():
        got = client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
        missing = client.get(reverse(f"admin:{name}_change", args=[MISSING_ID]))
        if (got.status_code, got.get("Location")) != (missing.status_code, missing.get("Location")):
            wrong.append(f"{name}: {got.status_code} {got.get('Location')}, missing: {missing.status_code}")
    assert wrong == []


def _integrator_a_urls(a: dict) -> list[tuple[str, str]]:
    """Every integrator endpoint on A's objects (their own), reads first, then the writes that answer with
    workers in them (a push names who got what)."""
    urls = [("get", "/api/projects/"), ("get", "/api/me/")]
    for route, view_class in _api_routes():
        if not _is_annotator_api(view_class) and hasattr(view_class, "get"):
            urls.append(("get", _object_url(route, a)))
    pk = a["project"].pk
    urls += [("get", reverse("api-project-assignments", args=[pk]) + f"?state={state}")
             for state in AssignmentState.values]
    urls += [("get", reverse("api-project-export", args=[pk]) + f"?export_format={fmt}") for fmt in ("csv", "hf")]
    urls += [("post", reverse("api-project-push", args=[pk]))]
    return urls


def test_no_integrator_response_names_a_worker(tenants):
    a, _, people, worker = tenants
    as_a = _api(people["integrator_a"])
    identity = [worker.username, worker.email, worker.email.split("@")[0], worker.first_name, worker.last_name]
    pseudonymous, leaks = 0, []
    for method, url in _integrator_a_urls(a):
        response = as_a.post(url, {"count": 1}, format="json") if method == "post" else as_a.get(url)
        assert response.status_code < 400 or response.status_code == 409, f"{url}: {response.status_code}"
        body = _body(response)
        pseudonymous += "w-" in body
        leaks += [f"{url}: {value}" for value in identity if value.lower() in body.lower()]
    assert pseudonymous >= 3, "answers, assignments and exports name the worker by pseudonym"
    assert leaks == []
