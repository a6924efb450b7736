"""The loop with the live shop, end to end on the demo data (issue 20, "It must show" 1): the "Product
category" demo project (PriceRunner titles, 5% gold: the frozen set) with a tiny local BERT whose vocabulary is
the titles' words. A model is trained and active; the shop reports some predictions wrong and a merchant
corrects one; those become items; annotators label them; a new run trains on them; the new version is promoted
only because it scores higher on the frozen set; a webhook receiver gets each event, signed."""

import random
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.dataset_files import PRICERUNNER_CSV, pricerunner_titles
from quality.models import CorrectionAnswer, DecisionSource, ItemDecision
from quality.services import decisions
from tasks import demo
from tasks.models import Item, ItemSource, ItemState
from tests.factories import IntegratorFactory, member_of, verified_worker
from tests.helpers import api_as
from tests.quality.factories import annotate
from tests.training.feedback_events import feedback_event
from tests.training.tiny_models import launch, tiny_base_model_save, vocabulary_of
from tests.webhooks.factories import WebhookEndpointFactory
from training import feedback, predictions, services, snapshots
from webhooks.models import EventType

DEMO = Path(settings.DEMO_DATASETS_DIR) / "ecommerce"
pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not (DEMO / PRICERUNNER_CSV).exists(),
                                 reason=f"the loop runs on the demo's PriceRunner titles: no {DEMO / PRICERUNNER_CSV}")]

TITLES = 400        # of the demo's project (its 2,000 take longer to import, not to learn): 20 gold, the frozen set
FIRST_LABELS = 200  # accepted before the loop: what the first model learns from
REPORTED = 30       # titles from outside the project the shop reports predicted wrong


class Categories(dict):
    """Every PriceRunner title's category, found by the title as the file has it or as an item holds it
    (spaces normalised, personal data masked as in a feedback item)."""

    def __init__(self, rows):
        super().__init__()
        self.titles = [row["title"] for row in rows]
        for row in rows:
            for form in (row["title"], snapshots.mask_personal_data(row["title"])):
                super().__setitem__(" ".join(form.split()), row["category"])

    def __getitem__(self, title):
        return super().__getitem__(" ".join(title.split()))


@pytest.fixture
def categories():
    return Categories(pricerunner_titles(DEMO / PRICERUNNER_CSV))


def first_labels_accept(project, categories):
    """The crowd's earlier work, as it left it: accepted items with their decided labels."""
    items = list(Item.objects.filter(project=project, is_gold=False).order_by("pk")[:FIRST_LABELS])
    Item.objects.filter(pk__in=[item.pk for item in items]).update(state=ItemState.ACCEPTED, open_slots=0)
    ItemDecision.objects.bulk_create([ItemDecision(
        item=item, project=project, label=categories[item.data["title"]], confidence=0.99,
        source=DecisionSource.INFERRED, method="crowd", answers_count=3) for item in items])


def shop_titles(project, categories) -> list[str]:
    """Titles the shop showed predictions for: the data's, not in the project."""
    in_project = Item.objects.filter(project=project).values_list("data__title", flat=True)
    known = {" ".join(title.split()) for title in in_project}
    return random.Random(7).sample([title for title in categories.titles if " ".join(title.split()) not in known],
                                   REPORTED)


def test_the_shop_loop_on_the_demo_data(api_client, categories, webhook_receiver, tmp_path, settings,
                                        django_capture_on_commit_callbacks):
    project, _ = demo.product_category_project_create(root=DEMO, count=TITLES)
    assert project.items.filter(is_gold=True).count() == TITLES // 20
    endpoint = WebhookEndpointFactory(organisation=project.organisation, url=webhook_receiver.url)
    webhook_receiver.secret = endpoint.secret
    first_labels_accept(project, categories)
    reported = shop_titles(project, categories)
    settings.TRAINING_DIR = tmp_path / "training"
    settings.TRAINING_EXPORT_ONNX = False
    titles = [*project.items.values_list("data__title", flat=True), *reported]
    base = services.base_model_register(name="tiny-demo-bert", licence="test only", folder=tiny_base_model_save(
        tmp_path / "tiny-bert", vocabulary_of(titles)))

    # A weak first model (one short epoch) is promoted: it is the first (and no floor is set here; with
    # TRAINING_ACTIVATION_FLOOR above its figure it would wait for an admin, test_promotion.py).
    settings.TRAINING_ACTIVATION_FLOOR = 0.0
    v1 = launch(project, base, django_capture_on_commit_callbacks, epochs=1, learning_rate=1e-5,
                max_length=24).model_version
    v1.refresh_from_db()
    assert v1.is_active and v1.evaluation["decision"] == "promoted"

    # The shop reports its predictions wrong, and a merchant corrects one; the rules turn them into items.
    shop = api_as(api_client, member_of(project.organisation, IntegratorFactory()))
    guessed = predictions.texts_predict(version=v1, texts=reported)
    events = [feedback_event(n, labels=project.label_names, outcome="reported_wrong", text=title,
                             predicted_label=guess["label"], model_version=v1.version)
              for n, (title, guess) in enumerate(zip(reported, guessed))]
    events[0].update(outcome="corrected", corrected_label=categories[reported[0]], actor="merchant")
    with django_capture_on_commit_callbacks(execute=True):
        response = shop.post(reverse("api-project-feedback", args=[project.pk]), {"events": events}, format="json")
        assert response.status_code == 201, response.content
        assert feedback.feedback_to_items(project=project) == {
            "events": REPORTED, "items": REPORTED, "to_review": 0, "answers": 1}
    items = list(project.items.filter(source=ItemSource.FEEDBACK))
    assert categories[CorrectionAnswer.objects.get().item.data["title"]] == categories[reported[0]]

    # Annotators label them; quality accepts them (the merchant's correction one more answer among theirs).
    workers = [verified_worker() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for item in items:
            for worker in workers:
                annotate(worker, item, categories[item.data["title"]])
        Item.objects.filter(pk__in=[item.pk for item in items]).update(state=ItemState.COLLECTING, open_slots=0,
                                                                       submitted_count=3)
        decisions.project_evaluate(project=project)
    assert set(Item.objects.filter(pk__in=[item.pk for item in items]).values_list("state", flat=True)) == {"accepted"}

    # A new run trains on them; its version is promoted because it beats v1 on the frozen set.
    v2 = launch(project, base, django_capture_on_commit_callbacks, epochs=10, batch_size=16, learning_rate=5e-3,
                max_length=24).model_version
    v2.refresh_from_db()
    frozen = v2.evaluation["frozen"]
    assert frozen["examples"] == TITLES // 20 and frozen["macro_f1"] > frozen["active"]["macro_f1"]
    assert v2.is_active and v2.evaluation["decision"] == "promoted"

    # The receiver got each event, signed (every request verified with the endpoint's secret).
    assert webhook_receiver.requests and all(r.signature_ok for r in webhook_receiver.requests)
    types = [event["type"] for event in webhook_receiver.accepted()]
    assert types.count(EventType.VERSION_PROMOTED) == 2 and types.count(EventType.RUN_SUCCEEDED) == 2
    assert types.count(EventType.FEEDBACK_ITEM_CREATED) == 1 and types.count(EventType.ITEM_ACCEPTED) == REPORTED
