"""The loop with the live shop, end to end, with a tiny local model: a model is trained and active; the shop
reports predictions wrong; those become items; annotators label them; a new run trains on them; the new
version is promoted only because it scores higher on the frozen set; a webhook receiver gets each event, signed."""

import pytest
from django.urls import reverse

from quality.services import decisions
from tasks.models import ItemSource
from tests.factories import IntegratorFactory, member_of, verified_worker
from tests.helpers import api_as
from tests.quality.factories import annotate
from tests.tasks.factories import ItemFactory
from tests.training.feedback_events import feedback_event
from tests.training.tiny_models import launch
from tests.webhooks.factories import WebhookEndpointFactory
from training import feedback, predictions
from webhooks.models import EventType

pytestmark = pytest.mark.django_db

# The frozen set: gold items (never trained on), one per product word.
GOLD = {"phone": ["cheap phone", "new smartphone", "red iphone"], "tv": ["big tv", "small television", "blue oled"],
        "fridge": ["new fridge", "red freezer"]}


def test_the_shop_loop(api_client, category_project, tiny_base_model, webhook_receiver,
                       django_capture_on_commit_callbacks):
    project = category_project
    endpoint = WebhookEndpointFactory(organisation=project.organisation, url=webhook_receiver.url)
    webhook_receiver.secret = endpoint.secret
    for label, titles in GOLD.items():
        for title in titles:
            ItemFactory(project=project, data={"title": title}, gold=label)

    # A weak first model (one short epoch) is promoted: it is the first.
    first = launch(project, tiny_base_model, django_capture_on_commit_callbacks, epochs=1, learning_rate=1e-5)
    v1 = first.model_version
    v1.refresh_from_db()
    assert v1.is_active and v1.evaluation["decision"] == "promoted"

    # The shop reports predictions wrong; the rules turn them into items, first in line and marked.
    shop = api_as(api_client, member_of(project.organisation, IntegratorFactory()))
    wrong = ["case with phone", "oled with case", "freezer with case"]
    guessed = predictions.texts_predict(version=v1, texts=wrong)
    events = [feedback_event(n, labels=("phone", "tv", "fridge"), outcome="reported_wrong", text=text,
                             predicted_label=guess["label"], model_version=v1.version)
              for n, (text, guess) in enumerate(zip(wrong, guessed))]
    with django_capture_on_commit_callbacks(execute=True):
        response = shop.post(reverse("api-project-feedback", args=[project.pk]), {"events": events}, format="json")
        assert response.status_code == 201, response.content
        assert feedback.feedback_to_items(project=project)["items"] == 3
    items = list(project.items.filter(source=ItemSource.FEEDBACK))

    # Annotators label them; quality accepts them.
    workers = [verified_worker() for _ in range(3)]
    truth = dict(zip(wrong, ["phone", "tv", "fridge"]))
    with django_capture_on_commit_callbacks(execute=True):
        for item in items:
            for worker in workers:
                annotate(worker, item, truth[item.data["title"]])
            type(item).objects.filter(pk=item.pk).update(state="collecting", open_slots=0, submitted_count=3)
        decisions.project_evaluate(project=project)
    for item in items:
        item.refresh_from_db()
        assert item.state == "accepted"

    # A new run trains on them; its version is promoted because it beats v1 on the frozen set.
    second = launch(project, tiny_base_model, django_capture_on_commit_callbacks, epochs=30, learning_rate=3e-3)
    v2 = second.model_version
    v2.refresh_from_db()
    frozen = v2.evaluation["frozen"]
    assert frozen["examples"] == 8 and frozen["macro_f1"] > frozen["active"]["macro_f1"]
    assert v2.is_active and v2.evaluation["decision"] == "promoted"

    # The receiver got each event, signed (every request verified with the endpoint's secret).
    assert webhook_receiver.requests and all(r.signature_ok for r in webhook_receiver.requests)
    types = [event["type"] for event in webhook_receiver.accepted()]
    for expected in (EventType.RUN_SUCCEEDED, EventType.VERSION_PROMOTED, EventType.FEEDBACK_ITEM_CREATED,
                     EventType.ITEM_ACCEPTED):
        assert expected in types, types
    assert types.count(EventType.VERSION_PROMOTED) == 2 and types.count(EventType.ITEM_ACCEPTED) == 3
