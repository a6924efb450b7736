"""Promotion, not replacement: a new version is scored on the frozen evaluation set beside the active one and
becomes active only if it beats it by the project's margin; rollback is one action; integrators are told."""

import pytest

from quality.models import DecisionSource
from tasks.models import ItemState
from tests.quality.factories import ItemDecisionFactory
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory
from tests.webhooks.factories import WebhookEndpointFactory
from training import predictions, promotion
from training.models import FeedbackPolicy, ModelVersion
from webhooks.models import EventType, WebhookDelivery

pytestmark = pytest.mark.django_db

# The frozen set: two gold items and one a reviewer decided.
FROZEN = {"iphone 8": "Phone", "lg oled tv": "TV", "ryzen 5": "CPU"}


@pytest.fixture
def project():
    project = ProjectFactory()
    ItemFactory(project=project, data={"title": "iphone 8"}, gold="Phone")
    ItemFactory(project=project, data={"title": "lg oled tv"}, gold="TV")
    reviewed = ItemFactory(project=project, data={"title": "ryzen 5"}, state=ItemState.ACCEPTED)
    ItemDecisionFactory(item=reviewed, label="CPU", source=DecisionSource.REVIEWER)
    FeedbackPolicy.objects.create(project=project, promotion_margin=0.05)
    return project


@pytest.fixture
def models(monkeypatch):
    """version number -> how many of the frozen examples it gets right (the rest it calls "TV")."""
    right = {}

    def predict(*, version, texts):
        known = list(FROZEN)
        return [{"label": FROZEN[text] if known.index(text) < right[version.version] else "Phone", "score": 0.9}
                for text in texts]
    monkeypatch.setattr(predictions, "texts_predict", predict)
    return right


def version(project, number, models, correct):
    models[number] = correct
    return ModelVersionFactory(project=project, version=number)


def active_number(project):
    return ModelVersion.objects.get(project=project, is_active=True).version


def test_the_first_version_is_promoted_and_a_better_one_replaces_it(project, models, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(organisation=project.organisation, url="http://127.0.0.1:9/x")
    with django_capture_on_commit_callbacks(execute=True):
        promotion.version_consider(version=version(project, 1, models, correct=1))
    assert active_number(project) == 1
    with django_capture_on_commit_callbacks(execute=True):
        better = promotion.version_consider(version=version(project, 2, models, correct=3))
    assert active_number(project) == 2 and better.evaluation["decision"] == "promoted"
    frozen = better.evaluation["frozen"]
    assert frozen["examples"] == 3 and frozen["macro_f1"] == 1.0 and frozen["active"]["macro_f1"] < 0.5
    assert {flip["example"] for flip in frozen["flipped"]} == {f"item-{pk}" for pk in
                                                             project.items.exclude(data__title="iphone 8").values_list("pk", flat=True)}
    events = list(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("event_type", flat=True))
    assert events.count(EventType.VERSION_PROMOTED) == 2


def test_a_version_that_does_not_beat_the_active_one_by_the_margin_waits(project, models):
    promotion.version_consider(version=version(project, 1, models, correct=2))
    same = promotion.version_consider(version=version(project, 2, models, correct=2))
    assert active_number(project) == 1
    assert same.evaluation["decision"] == "waits" and "does not beat v1" in same.evaluation["reason"]


def test_a_version_below_the_activation_floor_is_never_promoted_by_itself(project, models, settings):
    """An admin must confirm activating a version below TRAINING_ACTIVATION_FLOOR; promotion asks nobody,
    so such a version waits, even the project's first one."""
    settings.TRAINING_ACTIVATION_FLOOR = 0.5
    models[1] = 3
    weak = promotion.version_consider(version=ModelVersionFactory(project=project, version=1, macro_f1=0.2))
    assert weak.evaluation["decision"] == "waits" and "below the activation floor of 0.50" in weak.evaluation["reason"]
    assert not ModelVersion.objects.filter(project=project, is_active=True).exists()
    models[2] = 3
    promotion.version_consider(version=ModelVersionFactory(project=project, version=2, macro_f1=0.7))
    assert active_number(project) == 2


def test_automatic_promotion_can_be_turned_off(project, models):
    FeedbackPolicy.objects.filter(project=project).update(auto_promote=False)
    waiting = promotion.version_consider(version=version(project, 1, models, correct=3))
    assert waiting.evaluation["decision"] == "waits" and not ModelVersion.objects.filter(is_active=True).exists()


def test_rollback_serves_an_earlier_version_in_one_action_and_says_so(project, models,
                                                                     django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(organisation=project.organisation, url="http://127.0.0.1:9/x",
                                      events=[EventType.VERSION_ROLLED_BACK])
    first = version(project, 1, models, correct=1)
    promotion.version_consider(version=first)
    promotion.version_consider(version=version(project, 2, models, correct=3))
    with django_capture_on_commit_callbacks(execute=True):
        promotion.model_version_rollback(version=first)
    assert active_number(project) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.payload["data"]["model_version"] == 1 and delivery.payload["data"]["previous_version"] == 2
