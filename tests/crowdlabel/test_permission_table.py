"""Who may use what: every URL pattern of the site (API, pages, admin), read from the URL resolver, against
one table of expected outcomes per persona. A pattern missing from the table fails the test, so nothing is
added without deciding who may use it.

Outcomes: OK (allowed: anything but 401/403/404 and a redirect to a log-in page), PASS (allowed past the
permission check; a 404 for an object id that does not exist is fine), LOGIN (401 or a redirect to log in),
DENY (403), HIDDEN (404, or the admin's redirect home from a row it does not show: the object's existence is
not revealed), ANY (not decided: only an admin route whose object the world cannot make).

Routes are tried on real rows of organisation A: its project is open to a pool (a group), the annotator in
the pool holds a live assignment there, the annotator outside is verified but not in the pool, and each
model the admin lists has one row of A.

To add a persona: add it to PERSONAS and to `_personas`, then give it a column in the policies below."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts import services
from accounts.models import MembershipRole, Skill, VerificationStatus
from accounts.services import worker_suspend
from tasks.models import AssignmentState, ItemState, PracticeItem, ProjectStatus
from tests.factories import (
    AdminFactory, AnnotatorFactory, GroupFactory, IntegratorFactory, OrganisationFactory, QualificationFactory,
    ReviewerFactory, default_organisation, member_of, token_for,
)
from tests.quality.factories import AssignmentFactory, ItemDecisionFactory, SampledReviewFactory
from tests.tasks.factories import ImportJobFactory, ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from quality.models import EarningsEntry, LedgerKind
from training.models import FeedbackEvent, FeedbackOutcome, FeedbackPolicy, TrainingPolicy
from webhooks.models import WebhookDelivery, WebhookEndpoint

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
OUTSIDERS = ["annotator_outside", "annotator_unverified", "annotator_suspended"]
# The annotator API on A's pool project (or on the assignment the pool's annotator holds there): the project
# does not exist for the other annotators (404), staff and integrators are refused (403).
ANNOTATOR_API = policy(DENY, anonymous=LOGIN, annotator_in_pool=OK, **dict.fromkeys(OUTSIDERS, HIDDEN))
# Across projects: every annotator is answered (with no item, and the reason, where there is none for them).
ANNOTATOR_API_ANY_PROJECT = policy(DENY, anonymous=LOGIN, **dict.fromkeys(ANNOTATORS, OK))
# On an assignment that is not theirs: 409 (not a live assignment of yours) says nothing about it.
ANNOTATOR_ASSIGNMENT_ACTION = ANNOTATOR_API_ANY_PROJECT
ANNOTATOR_SUBMIT = policy(DENY, anonymous=LOGIN, annotator_in_pool=OK)  # 403: someone else's assignment
ANNOTATOR_PAGE = policy(DENY, anonymous=LOGIN, **dict.fromkeys(ANNOTATORS, OK))
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
    ("api/next/", "POST"): ANNOTATOR_API_ANY_PROJECT,
    ("api/projects/<int:pk>/next/", "POST"): ANNOTATOR_API,
    ("api/projects/<int:pk>/assignments/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/push/", "POST"): INTEGRATOR_WRITE,
    ("api/assignments/<int:pk>/skip/", "POST"): ANNOTATOR_ASSIGNMENT_ACTION,
    ("api/assignments/<int:pk>/release/", "POST"): ANNOTATOR_ASSIGNMENT_ACTION,
    ("api/practice/<int:pk>/answer/", "POST"): ANNOTATOR_API,
    ("api/assignments/<int:pk>/submit/", "POST"): ANNOTATOR_SUBMIT,
    ("api/assignments/<int:pk>/undo/", "POST"): ANNOTATOR_SUBMIT,
    ("api/projects/<int:pk>/left/", "GET"): ANNOTATOR_API,
    ("api/projects/<int:pk>/annotations/", "GET"): INTEGRATOR_READ,
    ("api/me/", "GET"): INTEGRATOR_LIST,
    # One's own API tokens, by the /api-access/ page's rule (integrators and admins). A read-only token lists
    # them and mints none; a token for another project mints one for its own project (no project named).
    ("api/tokens/", "GET"): INTEGRATOR_LIST,
    ("api/tokens/", "POST"): {**INTEGRATOR_LIST, "integrator_read_only": DENY},
    # A's integrator's unlimited token: they revoke it; the others are told it does not exist (B's integrator,
    # the admin: not theirs; the token for one project: it reaches only that project's tokens).
    ("api/tokens/<int:pk>/", "DELETE"): {**INTEGRATOR_WRITE, "admin": HIDDEN},
    ("api/projects/<int:pk>/results/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/quality/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/training-runs/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/training-runs/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/predict/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/export/", "GET"): INTEGRATOR_READ,
    ("api/projects/<int:pk>/feedback/", "POST"): INTEGRATOR_WRITE,
    ("api/training-runs/<int:pk>/", "GET"): INTEGRATOR_READ,
    ("api/training-runs/<int:pk>/cancel/", "POST"): INTEGRATOR_WRITE,
    ("api/projects/<int:pk>/model-versions/", "GET"): INTEGRATOR_READ,
    ("api/model-versions/<int:pk>/", "GET"): INTEGRATOR_READ,
    ("api/model-versions/<int:pk>/activate/", "POST"): INTEGRATOR_WRITE,
    ("api/assignments/<int:pk>/suggestion/", "GET"): ANNOTATOR_API,
    # An item's uploaded file: its organisation's people; annotators only while they hold it (the pool's does).
    ("api/items/<int:pk>/media/", "GET"): {**INTEGRATOR_READ, **dict.fromkeys(OUTSIDERS, HIDDEN),
                                           "annotator_in_pool": OK, "reviewer_this": OK, "reviewer_other": HIDDEN},
    ("api/projects/<int:pk>/imports/", "POST"): INTEGRATOR_WRITE,
    ("api/imports/<int:pk>/", "GET"): INTEGRATOR_READ,
    ("api/imports/<int:pk>/errors/", "GET"): INTEGRATOR_READ,
    # An organisation's webhook endpoints: its integrators' (B's are told A's do not exist); a token limited to
    # one project manages no organisation-wide setting (403). The admin deletes after A's integrator did (PASS).
    ("api/webhook-endpoints/", "GET"): {**INTEGRATOR_LIST, "integrator_other_project_token": DENY},
    ("api/webhook-endpoints/", "POST"): INTEGRATOR_CREATE,
    ("api/webhook-endpoints/<int:pk>/", "GET"): {**INTEGRATOR_READ, "integrator_other_project_token": DENY},
    ("api/webhook-endpoints/<int:pk>/", "PATCH"): {**INTEGRATOR_WRITE, "integrator_other_project_token": DENY},
    ("api/webhook-endpoints/<int:pk>/", "DELETE"): {**INTEGRATOR_WRITE, "integrator_other_project_token": DENY,
                                                    "admin": PASS},
    ("api/schema/", "GET"): PUBLIC,
    ("favicon.ico", "GET"): PUBLIC,  # a redirect to the static icon: browsers ask for it on every page
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
    ("work/verification/", "GET"): ANNOTATOR_PAGE,  # staff have no worker profile: 403
    ("api-access/", "GET"): API_ACCESS_PAGE,
    ("api-access/", "POST"): API_ACCESS_PAGE,
    # The start page sends integrators on to their API access page; staff see it (an empty dashboard).
    ("", "GET"): policy(OK, anonymous=LOGIN),
    # A's pool project: no title or instructions for an annotator outside the pool (404).
    # B's reviewer is told A's project does not exist (worker_eligibility: not visible to another organisation).
    ("work/<int:project_id>/", "GET"): {**ANNOTATOR_PAGE, **dict.fromkeys(OUTSIDERS, HIDDEN), "reviewer_other": HIDDEN},
    # Your own earnings: staff see an empty page of their own.
    ("work/earnings/", "GET"): {**ANNOTATOR_PAGE, "reviewer_this": OK, "reviewer_other": OK, "admin": OK},
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
    ("admin/^(?P<app_label>account|django_celery_beat|accounts|auth|tasks|quality|training|webhooks)/$", "GET"): {
        **NON_STAFF, "reviewer_this": PASS, "reviewer_other": PASS, "admin": PASS},
    ("admin/(?P<url>.*)$", "GET"): {**NON_STAFF, "reviewer_this": PASS, "reviewer_other": PASS, "admin": PASS},
}
# Each registered model's standard admin routes follow from who may view it, and whether its rows belong to
# an organisation (SCOPED: the other organisation's reviewer is told the row does not exist, as for a missing
# one); add and delete are the admins' (no reviewer permission covers them) where the admin offers them at all.
# Extra routes a ModelAdmin adds are listed beside it.
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
    "training/feedbackevent": ADMIN_ONLY, "training/feedbackpolicy": ADMIN_ONLY,
    "webhooks/webhookendpoint": ADMIN_ONLY, "webhooks/webhookdelivery": ADMIN_ONLY,
}
SCOPED = {"accounts/qualification", "tasks/project", "tasks/item", "tasks/assignment", "tasks/practiceitem", "quality/reviewqueueitem",
          "quality/verificationsample", "quality/itemdecision", "quality/review", "quality/projectquality",
          "training/datasetsnapshot", "training/trainingpolicy", "training/trainingrun", "training/modelversion",
          "training/feedbackevent", "training/feedbackpolicy", "webhooks/webhookendpoint", "webhooks/webhookdelivery"}
NOT_ADDED_BY_HAND = {"accounts/apitoken", "accounts/workerprofile", "tasks/assignment", "quality/reviewqueueitem",
                     "quality/itemdecision", "quality/review", "quality/workerquality", "quality/projectquality",
                     "quality/earningsentry", "training/modelversion", "training/feedbackevent",
                     "webhooks/webhookdelivery"}
NOT_DELETED_BY_HAND = {"quality/reviewqueueitem", "quality/workerquality", "quality/projectquality",
                       "training/feedbackevent", "webhooks/webhookdelivery"}
NO_OBJECT_PAGES = {"training/labelexport"}  # a proxy that is only a page in the navigation


def untried_object_route(outcomes):
    """An admin route tried with id 0: Django redirects every staff member away from a missing object before
    asking for permission, so only the non-staff outcome is informative there."""
    return {**outcomes, "reviewer_this": ANY, "reviewer_other": ANY, "admin": ANY}


def object_route(model: str, outcomes: dict, *, reads: bool = True) -> dict:
    """A route on one row of A: the admin reaches it; A's reviewer where reviewers read the model; B's reviewer
    is told a row of A's organisation does not exist (history and change look the row up before the
    permission), and is refused like A's reviewer elsewhere. `reads=False`: a write no reviewer may make."""
    reviewer = OK if outcomes["reviewer_this"] == PASS and reads else DENY
    other = HIDDEN if model in SCOPED and reviewer == OK else reviewer
    return {**outcomes, "reviewer_this": reviewer, "reviewer_other": other, "admin": OK}


ADMIN_EXTRA = {
    ("admin/accounts/user/<id>/password/", "GET"): object_route("accounts/user", ADMIN_ONLY),
    # The world's workers have handed in no document: 404 for the staff who may look.
    ("admin/accounts/workerprofile/<int:pk>/document/", "GET"): {
        **REVIEWER_VIEWS, "reviewer_this": HIDDEN, "reviewer_other": HIDDEN, "admin": HIDDEN},
    # Both look the project up among those in view first: B's reviewer is told it does not exist.
    ("admin/tasks/project/<int:pk>/import/", "GET"): {
        **object_route("tasks/project", ADMIN_ONLY), "reviewer_other": HIDDEN},
    ("admin/tasks/project/<int:pk>/publish/", "POST"): {
        **object_route("tasks/project", ADMIN_ONLY), "reviewer_other": HIDDEN},
    # A background import's page, status and error report: through the project, as the import page.
    **{(f"admin/tasks/project/<int:pk>/import/jobs/<int:job_id>/{page}", "GET"): {
        **object_route("tasks/project", ADMIN_ONLY), "reviewer_other": HIDDEN} for page in ("", "status/", "errors/")},
    # The snapshot's folder is not made here (tests/training builds real ones): tried with id 0.
    ("admin/training/datasetsnapshot/<int:pk>/download/", "GET"): untried_object_route(ADMIN_ONLY),
}


def _admin_model_rows() -> dict:
    rows = {}
    for model, outcomes in ADMIN_MODELS.items():
        rows[(f"admin/{model}/", "GET")] = outcomes
        # The bare object URL only redirects to its change page, for every member of staff.
        rows[(f"admin/{model}/<path:object_id>/", "GET")] = {**outcomes, "reviewer_this": OK, "reviewer_other": OK,
                                                             "admin": OK}
        change = object_route(model, outcomes)
        rows[(f"admin/{model}/<path:object_id>/change/", "GET")] = change
        # History looks the row up first: B's reviewer is told it does not exist even where reviewers may not read.
        rows[(f"admin/{model}/<path:object_id>/history/", "GET")] = {
            **change, "reviewer_other": HIDDEN if model in SCOPED else change["reviewer_other"]}
        delete = object_route(model, outcomes, reads=False)
        rows[(f"admin/{model}/<path:object_id>/delete/", "GET")] = (
            {**delete, "admin": DENY} if model in NOT_DELETED_BY_HAND else delete)
        rows[(f"admin/{model}/add/", "GET")] = {**outcomes, "reviewer_this": DENY, "reviewer_other": DENY,
                                                "admin": DENY if model in NOT_ADDED_BY_HAND else OK}
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
    """Organisation A (the default one) with two projects, organisation B with one, and each persona. A's
    published project is open to a pool (a group): the annotator in the pool holds a live assignment on its
    item; the one outside is verified too, so only the pool tells them apart. Each model the admin lists has
    one real row of A where the world can make one, so its object routes ask the permission, not the id."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a dozen users per route
    settings.MEDIA_ROOT = tmp_path
    org_a, org_b = default_organisation(), OrganisationFactory()
    pool = GroupFactory()
    project = ProjectFactory(organisation=org_a, status=ProjectStatus.PUBLISHED, pool_group=pool)
    other_project = ProjectFactory(organisation=org_a)
    ProjectFactory(organisation=org_b, title="B's secret project")
    item = ItemFactory(project=project, gold="Phone", media=SimpleUploadedFile("shoe.png", PNG, "image/png"))
    version = ModelVersionFactory(project=project)
    users = _personas(org_a, org_b, other_project)
    users["annotator_in_pool"][0].groups.add(pool)
    assignment = AssignmentFactory(item=item, worker=users["annotator_in_pool"][0], state=AssignmentState.LIVE,
                                   finished_at=None, expires_at=timezone.now() + timedelta(minutes=30))
    admin_rows, practice = _admin_objects(project=project, item=item, version=version, assignment=assignment,
                                          users=users, pool=pool, org=org_a)
    objects = {"project": project, "item": item, "version": version, "run": version.run, "assignment": assignment,
               "practice": practice, "admin": admin_rows,
               "import_job": ImportJobFactory(project=project)}
    return users, objects


def _admin_objects(*, project, item, version, assignment, users, pool, org) -> dict:
    """admin/<app>/<model>/ -> the id of a row of organisation A (or a person of the world)."""
    worker = users["annotator_in_pool"][0]
    review = SampledReviewFactory(item=ItemFactory(project=project, state=ItemState.ACCEPTED))
    decision = ItemDecisionFactory(item=ItemFactory(project=project))
    queued = ItemFactory(project=project, state=ItemState.NEEDS_REVIEW)
    practice = PracticeItem.objects.create(project=project, external_id="practice-1", data={"title": "x"},
                                           answer="Phone")
    token, _ = services.api_token_create(user=users["integrator_this"][0], name="admin row")
    endpoint = WebhookEndpoint.objects.create(organisation=org, url="http://127.0.0.1:9/hooks")
    rows = {
        "auth/group": pool, "account/emailaddress": EmailAddress.objects.get(user=worker),
        "accounts/user": worker, "accounts/workerprofile": worker.worker_profile,
        "accounts/skill": Skill.objects.create(name="German"), "accounts/organisation": org,
        "accounts/apitoken": token, "accounts/qualification": QualificationFactory(),
        "tasks/project": project, "tasks/item": item, "tasks/assignment": assignment, "tasks/practiceitem": practice,
        "quality/reviewqueueitem": queued, "quality/verificationsample": review.sample,
        "quality/itemdecision": decision, "quality/review": review, "quality/workerquality": worker.worker_profile,
        "quality/projectquality": project, "training/datasetsnapshot": version.run.snapshot,
        "training/labelexport": version.run.snapshot, "training/trainingrun": version.run,
        "training/modelversion": version, "training/basemodel": version.run.base_model,
        "training/trainingpolicy": TrainingPolicy.objects.create(project=project),
        "training/feedbackpolicy": FeedbackPolicy.objects.create(project=project),
        "training/feedbackevent": FeedbackEvent.objects.create(project=project, event_id="e1", predicted_label="Phone",
                                                               outcome=FeedbackOutcome.CLICKED,
                                                               occurred_at=timezone.now()),
        "webhooks/webhookendpoint": endpoint,
        "webhooks/webhookdelivery": WebhookDelivery.objects.create(endpoint=endpoint, message_id="msg_1",
                                                                   event_type="webhook.test", payload={}),
        "quality/earningsentry": EarningsEntry.objects.create(worker=worker, project=project, kind=LedgerKind.values[0],
                                                              amount=1, currency="EUR"),
        **_beat_rows(),
    }
    return {f"admin/{name}/": row.pk for name, row in rows.items()}, practice


def _beat_rows() -> dict:
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    return {
        "django_celery_beat/intervalschedule": interval,
        "django_celery_beat/crontabschedule": CrontabSchedule.objects.create(),
        "django_celery_beat/solarschedule": SolarSchedule.objects.create(event="sunrise", latitude=0, longitude=0),
        "django_celery_beat/clockedschedule": ClockedSchedule.objects.create(clocked_time=timezone.now()),
        "django_celery_beat/periodictask": PeriodicTask.objects.create(name="a job", task="a.job", interval=interval),
    }


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


# What the body of a write holds where an empty one would be refused before the permission is asked.
BODIES = {"api/assignments/<int:pk>/submit/": {"answer": "Phone"}, "api/practice/<int:pk>/answer/": {"answer": "Phone"},
          "api/tokens/": {"name": "rotated"}}
UNTRIED = {route for (route, _), outcomes in ADMIN_EXTRA.items() if outcomes["admin"] == ANY}


def _url(route: str, objects: dict) -> str:
    ids = {"api/training-runs/": objects["run"].pk, "api/model-versions/": objects["version"].pk,
           "api/items/": objects["item"].pk, "api/assignments/": objects["assignment"].pk,
           "api/practice/": objects["practice"].pk, "api/imports/": objects["import_job"].pk,
           "api/webhook-endpoints/": objects["admin"]["admin/webhooks/webhookendpoint/"],
           "api/tokens/": objects["admin"]["admin/accounts/apitoken/"]}
    pk = next((value for start, value in ids.items() if route.startswith(start)), objects["project"].pk)
    object_id = 0  # admin routes of a model without a row in the world: a missing object
    if route.startswith("admin/"):
        object_id = pk = next((value for start, value in objects["admin"].items() if route.startswith(start)), 0)
        if route in UNTRIED:
            object_id = pk = 0
    for placeholder in ("<int:pk>", "<int:project_id>"):
        route = route.replace(placeholder, str(pk))
    route = route.replace("<int:job_id>", str(objects["import_job"].pk))
    for placeholder in ("<path:object_id>", "<id>"):
        route = route.replace(placeholder, str(object_id))
    route = route.replace("<path:content_type_id>", "0")
    route = route.replace("(?P<key>[-:\\w]+)", "nokey").replace("(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)", "0-nokey")
    route = route.replace("(?P<app_label>account|django_celery_beat|accounts|auth|tasks|quality|training|webhooks)", "tasks")
    route = route.replace("(?P<url>.*)", "no-such-page/").replace("^", "").replace("$", "")
    return "/" + route


def outcome(response, route: str = "") -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (status == 302 and ("/accounts/login/" in location or "/admin/login/" in location)):
        return LOGIN
    on_object = any(placeholder in route for placeholder in ("<path:object_id>", "<int:pk>", "<id>"))
    if on_object and status == 302 and location == "/admin/":  # the admin's answer to a row it does not show
        return HIDDEN
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
        body = BODIES.get(route, {})
        response = getattr(client, method.lower())(url, body, format="json") if method != "GET" else client.get(url)
        got = outcome(response, route)
        if not matches(TABLE[(route, method)][persona], got):
            wrong.append(f"{persona}: expected {TABLE[(route, method)][persona]}, got {got} ({response.status_code})")
    assert wrong == [], f"{method} {url}"
