"""Who may use what: every URL pattern of the site (API, pages, admin), read from the URL resolver, against
one table of expected outcomes per persona. A pattern missing from the table fails the test, so nothing is
added without deciding who may use it.

Outcomes: OK (allowed: anything but 401/403/404 and a redirect to a log-in page), PASS (allowed past the
permission check; a 404 for an object id that does not exist is fine: admin routes are tried with id 0),
LOGIN (401 or a redirect to log in), DENY (403), HIDDEN (404: the object's existence is not revealed), ANY
(not decided here yet: the annotator pool personas are refined with project pools, issue 16's other half).

To add a persona: add it to PERSONAS and to `_personas`, then give it a column in the policies below."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import MembershipRole, VerificationStatus
from accounts.services import worker_suspend
from tasks.models import ProjectStatus
from tests.factories import (
    AdminFactory, AnnotatorFactory, IntegratorFactory, OrganisationFactory, ReviewerFactory, default_organisation,
    member_of, token_for,
)
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous", "annotator_in_pool", "annotator_outside", "annotator_unverified", "annotator_suspended",
    "reviewer_this", "reviewer_other", "integrator_this", "integrator_other", "integrator_read_only",
    "integrator_other_project_token", "admin",
]
OK, PASS, LOGIN, DENY, HIDDEN, ANY = "ok", "pass", "login", "deny", "hidden", "any"
ANNOTATORS = ["annotator_in_pool", "annotator_outside", "annotator_unverified", "annotator_suspended"]


def policy(default, **outcomes) -> dict:
    return {persona: outcomes.get(persona, default) for persona in PERSONAS}


PUBLIC = policy(OK)
# The integrator API on one object of organisation A (this org): B's integrator and a token for another
# project get 404; a read-only token reads.
INTEGRATOR_READ = policy(DENY, anonymous=LOGIN, integrator_this=OK, integrator_read_only=OK, admin=OK,
                         integrator_other=HIDDEN, integrator_other_project_token=HIDDEN)
INTEGRATOR_WRITE = {**INTEGRATOR_READ, "integrator_read_only": DENY}
INTEGRATOR_LIST = policy(DENY, anonymous=LOGIN, integrator_this=OK, integrator_read_only=OK, admin=OK,
                         integrator_other=OK, integrator_other_project_token=OK)
INTEGRATOR_CREATE = {**INTEGRATOR_LIST, "integrator_read_only": DENY, "integrator_other_project_token": DENY}
ANNOTATOR_API = policy(DENY, anonymous=LOGIN, **dict.fromkeys(ANNOTATORS, ANY))
ANNOTATOR_PAGE = policy(ANY, anonymous=LOGIN, integrator_this=DENY, integrator_other=DENY,
                        integrator_read_only=DENY, integrator_other_project_token=DENY)
API_ACCESS_PAGE = policy(DENY, anonymous=LOGIN, integrator_this=OK, integrator_other=OK, integrator_read_only=OK,
                         integrator_other_project_token=OK, admin=OK)
LOGGED_IN_PAGE = policy(OK, anonymous=LOGIN)
NON_STAFF = dict.fromkeys(["anonymous", *ANNOTATORS, "integrator_this", "integrator_other", "integrator_read_only",
                           "integrator_other_project_token"], LOGIN)
ADMIN_ONLY = {**NON_STAFF, "reviewer_this": DENY, "reviewer_other": DENY, "admin": PASS}
REVIEWER_VIEWS = {**ADMIN_ONLY, "reviewer_this": PASS, "reviewer_other": PASS}
ADMIN_PUBLIC = policy(OK)

# (route, method) -> expected outcome per persona. `<int:pk>` is filled with an object of organisation A.
API = {
    ("api/projects/", "GET"): INTEGRATOR_LIST,
    ("api/projects/", "POST"): INTEGRATOR_CREATE,
    ("api/projects/<int:pk>/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/", "PATCH"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/publish/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/pause/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/close/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/statistics/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/items/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/items/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/items/import/", "POST"): INTEGRATOR_WRITE,
    ("api/next/", "POST"): ANNOTATOR_API,
    ("api/projects/<int:pk>/next/", "POST"): ANNOTATOR_API,
    ("api/projects/<int:pk>/assignments/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/push/", "POST"): INTEGRATOR_WRITE,
    ("api/assignments/<int:pk>/skip/", "POST"): ANNOTATOR_API,
    ("api/assignments/<int:pk>/release/", "POST"): ANNOTATOR_API,
    ("api/practice/<int:pk>/answer/", "POST"): ANNOTATOR_API,
    ("api/assignments/<int:pk>/submit/", "POST"): ANNOTATOR_API,
    ("api/assignments/<int:pk>/undo/", "POST"): ANNOTATOR_API,
    ("api/projects/<int:pk>/left/", "GET"): ANNOTATOR_API,
    ("api/projects/<int:pk>/annotations/", "GET"): INTEGRATOR_READ,
    ("api/me/", "GET"): INTEGRATOR_LIST,
    ("api/projects/<int:pk>/results/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/quality/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/training-runs/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/training-runs/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/predict/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/export/", "GET"): INTEGRATOR_READ,
    ("api/training-runs/<int:pk>/", "GET"): INTEGRATOR_READ,
    ("api/training-runs/<int:pk>/cancel/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/model-versions/", "GET"): INTEGRATOR_READ,
    ("api/model-versions/<int:pk>/", "GET"): INTEGRATOR_READ,
    ("api/model-versions/<int:pk>/activate/", "POST"): INTEGRATOR_WRITE,
    ("api/assignments/<int:pk>/suggestion/", "GET"): ANNOTATOR_API,
    # An item's uploaded file: its organisation's people; annotators only while they hold it (none does here).
    ("api/items/<int:pk>/media/", "GET"): {**INTEGRATOR_READ, **dict.fromkeys(ANNOTATORS, HIDDEN),
                                           "reviewer_this": OK, "reviewer_other": HIDDEN},
    ("api/schema/", "GET"): PUBLIC,
    ("api/docs/", "GET"): PUBLIC,
    ("api/redoc/", "GET"): PUBLIC,
}
PAGES = {
    ("accounts/login/", "GET"): PUBLIC,
    ("accounts/logout/", "GET"): LOGGED_IN_PAGE,
    ("accounts/inactive/", "GET"): PUBLIC,
    ("accounts/signup/", "GET"): PUBLIC,
    ("accounts/reauthenticate/", "GET"): LOGGED_IN_PAGE,
    ("accounts/email/", "GET"): LOGGED_IN_PAGE,
    ("accounts/confirm-email/", "GET"): PUBLIC,
    ("accounts/password/change/", "GET"): LOGGED_IN_PAGE,
    ("accounts/password/set/", "GET"): LOGGED_IN_PAGE,
    ("accounts/password/reset/", "GET"): PUBLIC,
    ("accounts/login/code/confirm/", "GET"): LOGGED_IN_PAGE,  # anonymous: back to log in first
    ("accounts/^confirm-email/(?P<key>[-:\\w]+)/$", "GET"): PUBLIC,
    ("accounts/password/reset/key/done/", "GET"): PUBLIC,
    ("accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$", "GET"): PUBLIC,
    ("accounts/password/reset/done/", "GET"): PUBLIC,
    ("work/verification/", "GET"): ANNOTATOR_PAGE,
    ("api-access/", "GET"): API_ACCESS_PAGE,
    ("api-access/", "POST"): API_ACCESS_PAGE,
    # The start page sends integrators on to their API access page.
    ("", "GET"): {**ANNOTATOR_PAGE, **dict.fromkeys(
        ["integrator_this", "integrator_other", "integrator_read_only", "integrator_other_project_token"], OK)},
    ("work/<int:project_id>/", "GET"): ANNOTATOR_PAGE,
    ("work/earnings/", "GET"): ANNOTATOR_PAGE,
}
ADMIN_SITE = {
    ("admin/", "GET"): {**NON_STAFF, "reviewer_this": OK, "reviewer_other": OK, "admin": OK},
    ("admin/login/", "GET"): ADMIN_PUBLIC,
    ("admin/logout/", "POST"): ADMIN_PUBLIC,
    ("admin/password_change/", "GET"): {**NON_STAFF, "reviewer_this": OK, "reviewer_other": OK, "admin": OK},
    ("admin/password_change/done/", "GET"): {**NON_STAFF, "reviewer_this": OK, "reviewer_other": OK, "admin": OK},
    # Asked without app_label, model_name and field_name (the table has no field to name), Django's autocomplete
    # refuses everyone, staff included: it checks the field's admin before anything else.
    ("admin/autocomplete/", "GET"): {**NON_STAFF, "reviewer_this": DENY, "reviewer_other": DENY, "admin": DENY},
    ("admin/jsi18n/", "GET"): {**NON_STAFF, "reviewer_this": OK, "reviewer_other": OK, "admin": OK},
    ("admin/r/<path:content_type_id>/<path:object_id>/", "GET"): {
        **NON_STAFF, "reviewer_this": PASS, "reviewer_other": PASS, "admin": PASS},
    ("admin/^(?P<app_label>auth|account|django_celery_beat|accounts|tasks|quality|training)/$", "GET"): {
        **NON_STAFF, "reviewer_this": PASS, "reviewer_other": PASS, "admin": PASS},
    ("admin/(?P<url>.*)$", "GET"): {**NON_STAFF, "reviewer_this": PASS, "reviewer_other": PASS, "admin": PASS},
}
# Each registered model's standard admin routes follow from who may view it; add and delete are the
# admins' (no reviewer permission covers them). Extra routes a ModelAdmin adds are listed beside it.
ADMIN_MODELS = {
    "auth/group": ADMIN_ONLY, "account/emailaddress": ADMIN_ONLY,
    "django_celery_beat/periodictask": ADMIN_ONLY, "django_celery_beat/clockedschedule": ADMIN_ONLY,
    "django_celery_beat/crontabschedule": ADMIN_ONLY, "django_celery_beat/solarschedule": ADMIN_ONLY,
    "django_celery_beat/intervalschedule": ADMIN_ONLY,
    "accounts/user": ADMIN_ONLY, "accounts/workerprofile": REVIEWER_VIEWS, "accounts/skill": REVIEWER_VIEWS,
    "accounts/organisation": ADMIN_ONLY, "accounts/apitoken": ADMIN_ONLY, "accounts/qualification": ADMIN_ONLY,
    "tasks/project": REVIEWER_VIEWS, "tasks/item": REVIEWER_VIEWS, "tasks/assignment": ADMIN_ONLY,
    "tasks/practiceitem": ADMIN_ONLY,
    "quality/reviewqueueitem": REVIEWER_VIEWS, "quality/verificationsample": REVIEWER_VIEWS,
    "quality/itemdecision": ADMIN_ONLY, "quality/review": REVIEWER_VIEWS, "quality/workerquality": REVIEWER_VIEWS,
    "quality/projectquality": REVIEWER_VIEWS, "quality/earningsentry": ADMIN_ONLY,
    "training/datasetsnapshot": ADMIN_ONLY, "training/labelexport": ADMIN_ONLY,
    "training/trainingpolicy": ADMIN_ONLY, "training/trainingrun": ADMIN_ONLY, "training/modelversion": ADMIN_ONLY,
    "training/basemodel": ADMIN_ONLY,
}
def untried_object_route(outcomes):
    """Admin object routes are tried with id 0: Django redirects every staff member away from a missing object
    before asking for permission, so only the non-staff outcome is informative there. (Not done yet: one real
    object per model, to check reviewers on each object route.)"""
    return {**outcomes, "reviewer_this": ANY, "reviewer_other": ANY, "admin": ANY}


ADMIN_EXTRA = {
    ("admin/accounts/user/<id>/password/", "GET"): untried_object_route(ADMIN_ONLY),
    ("admin/accounts/workerprofile/<int:pk>/document/", "GET"): untried_object_route(REVIEWER_VIEWS),
    ("admin/tasks/project/<int:pk>/import/", "GET"): untried_object_route(ADMIN_ONLY),
    ("admin/tasks/project/<int:pk>/publish/", "POST"): untried_object_route(ADMIN_ONLY),
    ("admin/training/datasetsnapshot/<int:pk>/download/", "GET"): untried_object_route(ADMIN_ONLY),
}


STANDARD_SUFFIXES = ["", "<path:object_id>/change/", "<path:object_id>/history/", "<path:object_id>/"]
WRITE_SUFFIXES = ["add/", "<path:object_id>/delete/"]


def _admin_model_rows() -> dict:
    rows = {}
    for model, outcomes in ADMIN_MODELS.items():
        rows[(f"admin/{model}/", "GET")] = outcomes
        for suffix in STANDARD_SUFFIXES[1:]:
            rows[(f"admin/{model}/{suffix}", "GET")] = untried_object_route(outcomes)
        for suffix in WRITE_SUFFIXES:
            # Some models are never added by hand (has_add_permission False): admins get 403 there too.
            rows[(f"admin/{model}/{suffix}", "GET")] = {**outcomes, "reviewer_this": DENY, "reviewer_other": DENY,
                                                       "admin": ANY}
    return rows


TABLE = {**API, **PAGES, **ADMIN_SITE, **_admin_model_rows(), **ADMIN_EXTRA}


def url_routes(resolver=None, prefix="") -> list[str]:
    """Every URL pattern of the site, as one route string each."""
    routes = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            routes += url_routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + str(pattern.pattern))
    return routes


ROUTES = set(url_routes())


def test_every_url_pattern_is_in_the_table():
    routes = ROUTES
    decided = {route for route, _ in TABLE}
    # The admin lists a model only where it is registered; models without some routes (a proxy page) are fine.
    assert sorted(routes - decided) == [], "Decide who may use these URLs: add them to TABLE"
    assert sorted(decided - routes - {r for r, _ in _admin_model_rows()}) == [], "TABLE names URLs that do not exist"


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def world(settings, tmp_path):
    """Organisation A (the default one) with two projects, organisation B with one, and each persona."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a dozen users per route
    settings.MEDIA_ROOT = tmp_path
    org_a, org_b = default_organisation(), OrganisationFactory()
    project = ProjectFactory(organisation=org_a, status=ProjectStatus.PUBLISHED)
    other_project = ProjectFactory(organisation=org_a)
    ProjectFactory(organisation=org_b, title="B's secret project")
    item = ItemFactory(project=project, gold="Phone", media=SimpleUploadedFile("shoe.png", PNG, "image/png"))
    version = ModelVersionFactory(project=project)
    users = _personas(org_a, org_b, other_project)
    objects = {"project": project, "item": item, "version": version, "run": version.run}
    return users, objects


def _personas(org_a, org_b, other_project) -> dict:
    unverified = AnnotatorFactory()
    suspended = AnnotatorFactory()
    verified = [AnnotatorFactory(), AnnotatorFactory(), suspended]
    for annotator in verified:
        annotator.worker_profile.verification_status = VerificationStatus.VERIFIED
        annotator.worker_profile.save()
    worker_suspend(profile=suspended.worker_profile, reason="spam")
    integrator = member_of(org_a, IntegratorFactory())
    return {
        "anonymous": (None, None),
        "annotator_in_pool": (verified[0], None), "annotator_outside": (verified[1], None),
        "annotator_unverified": (unverified, None), "annotator_suspended": (suspended, None),
        "reviewer_this": (member_of(org_a, ReviewerFactory(), MembershipRole.REVIEWER), None),
        "reviewer_other": (member_of(org_b, ReviewerFactory(), MembershipRole.REVIEWER), None),
        "integrator_this": (integrator, {}),
        "integrator_other": (member_of(org_b, IntegratorFactory()), {}),
        "integrator_read_only": (integrator, {"read_only": True}),
        "integrator_other_project_token": (integrator, {"project_id": other_project.pk}),
        "admin": (AdminFactory(), {}),
    }


def _url(route: str, objects: dict) -> str:
    ids = {"api/training-runs/": objects["run"].pk, "api/model-versions/": objects["version"].pk,
           "api/items/": objects["item"].pk}
    pk = next((value for start, value in ids.items() if route.startswith(start)), objects["project"].pk)
    if route.startswith("admin/"):
        pk = 0
    for placeholder in ("<int:pk>", "<int:project_id>"):
        route = route.replace(placeholder, str(pk))
    for placeholder in ("<path:object_id>", "<id>", "<path:content_type_id>"):
        route = route.replace(placeholder, "0")
    route = route.replace("(?P<key>[-:\\w]+)", "nokey").replace("(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)", "0-nokey")
    route = route.replace("(?P<app_label>auth|account|django_celery_beat|accounts|tasks|quality|training)", "tasks")
    route = route.replace("(?P<url>.*)", "no-such-page/").replace("^", "").replace("$", "")
    return "/" + route


def outcome(response) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (status == 302 and ("/accounts/login/" in location or "/admin/login/" in location)):
        return LOGIN
    return {403: DENY, 404: HIDDEN}.get(status, OK)


def matches(expected: str, got: str) -> bool:
    return expected == ANY or got == expected or (expected == PASS and got in (OK, HIDDEN))


def _client_for(persona, users, client_class):
    user, token_limits = users[persona]
    client = client_class()
    if user is not None:
        client.force_login(user)
        if token_limits is not None or user.role == "annotator":
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, **(token_limits or {}))}")
    return client


@pytest.mark.parametrize("route, method", sorted(key for key in TABLE if key[0] in ROUTES), ids=lambda value: value)
def test_each_persona_gets_the_outcome_the_table_says(world, route, method):
    from rest_framework.test import APIClient

    users, objects = world
    url, wrong = _url(route, objects), []
    for persona in PERSONAS:
        client = _client_for(persona, users, APIClient)
        response = getattr(client, method.lower())(url, {}, format="json") if method != "GET" else client.get(url)
        got = outcome(response)
        if not matches(TABLE[(route, method)][persona], got):
            wrong.append(f"{persona}: expected {TABLE[(route, method)][persona]}, got {got} ({response.status_code})")
    assert wrong == [], f"{method} {url}"
