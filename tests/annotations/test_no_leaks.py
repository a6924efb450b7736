"""Nothing an annotator is sent (pages or API) carries a gold answer or its explanation, another worker's
answer or identity, an item's external id, or a project they are not in. The annotator works through a
project (gold checks included, an undo, the pages) while another worker answers the same items, and every
response body is scanned."""

import json
import random

import pytest
from django.urls import reverse

from tasks.models import Assignment, ProjectStatus
from tests.factories import GroupFactory, token_for
from tests.quality.factories import AnnotationFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.test_assignment import verified_worker

pytestmark = pytest.mark.django_db

GOLD_EXPLANATION = "gold-explanation-never-shown"
OTHER_USERNAME = "other-worker-secret"
HIDDEN_TITLES = ["Draft project never shown", "Pool project never shown"]
# Keys that would carry what annotators must not see; an item's fields are named by the project, not these.
FORBIDDEN_KEYS = {"gold", "is_gold", "gold_explanation", "external_id", "item_external_id", "worker", "annotations"}


@pytest.fixture
def world():
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.5, title="Phones and TVs", overlap=3)
    items = [ItemFactory(project=project, external_id=f"ext-secret-{n}") for n in range(4)]
    items += [ItemFactory(project=project, external_id=f"ext-secret-gold-{n}", gold="CPU",
                          gold_explanation=GOLD_EXPLANATION) for n in range(4)]
    other = verified_worker(username=OTHER_USERNAME)
    for item in items:
        AnnotationFactory(assignment__item=item, assignment__worker=other, answer="Phone")
    ProjectFactory(status=ProjectStatus.DRAFT, title=HIDDEN_TITLES[0])
    ProjectFactory(status=ProjectStatus.PUBLISHED, title=HIDDEN_TITLES[1], pool_group=GroupFactory())
    return project, other


def _forbidden_keys(value) -> set:
    if isinstance(value, dict):
        return (set(value) & FORBIDDEN_KEYS) | {k for v in value.values() for k in _forbidden_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _forbidden_keys(v)}
    return set()


def _collect(client, api_client, worker, project) -> list:
    """Every response an annotator gets while working through the project, pages and API."""
    random.seed(1)
    responses = [client.get(reverse("home")), client.get(reverse("workspace", args=[project.pk])),
                 client.get(reverse("my-earnings")), client.get(reverse("verification"))]
    api = api_client
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(worker)}")
    responses.append(api.get(reverse("api-project-items-left", args=[project.pk])))
    nxt = api.post(reverse("api-project-next", args=[project.pk]))
    responses.append(nxt)
    assignment = nxt.json()["assignment"]
    submitted = None
    while assignment:
        response = api.post(reverse("api-assignment-submit", args=[assignment["id"]]), {"answer": "TV"}, format="json")
        responses.append(response)
        submitted = submitted or assignment["id"]
        assignment = response.json()["next"]
    responses.append(api.post(reverse("api-assignment-undo", args=[submitted])))
    responses.append(api.post(reverse("api-next-any")))
    responses += [client.get(reverse("home")), client.get(reverse("workspace", args=[project.pk]))]
    return responses


def test_nothing_secret_reaches_an_annotator(client, api_client, world):
    project, other = world
    worker = verified_worker()
    client.force_login(worker)
    responses = _collect(client, api_client, worker, project)
    assert len(responses) > 12  # the whole project was worked through,
    assert Assignment.objects.filter(worker=worker, is_gold=True).exists()  # gold checks included
    for response in responses:
        assert response.status_code < 500
        body = response.content.decode()
        for secret in [GOLD_EXPLANATION, OTHER_USERNAME, other.email, "ext-secret", *HIDDEN_TITLES]:
            assert secret not in body, (response.request["PATH_INFO"], secret)
        if response.get("Content-Type", "").startswith("application/json"):
            assert not _forbidden_keys(json.loads(body)), response.request["PATH_INFO"]


def test_the_scan_would_see_a_leak(client, api_client, world):
    """The scan is not blind: the integrator view of the same project shows what the annotator must not see."""
    project, other = world
    from tests.factories import IntegratorFactory

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    body = api_client.get(reverse("api-project-annotations", args=[project.pk])).json()
    assert _forbidden_keys(body) and "ext-secret" in json.dumps(body)
