"""The feedback events' admin list: searched by event id, item external id, label or text, and filtered by
project, each only over the projects of the viewer's organisation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import MembershipRole
from tests.factories import AdminFactory, AnnotatorFactory, OrganisationFactory, ProjectManagerFactory, member_of
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.training.factories import FeedbackEventFactory
from training.models import FeedbackOutcome

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:training_feedbackevent_changelist")


@pytest.fixture
def shop():
    """Two projects of ours with feedback, one without, and another organisation's with feedback of its own."""
    ours = OrganisationFactory()
    shoes, phones = ProjectFactory(organisation=ours, title="Our shoes"), ProjectFactory(organisation=ours, title="Our phones")
    ProjectFactory(organisation=ours, title="Our quiet project")
    theirs = ProjectFactory(organisation=OrganisationFactory(), title="Their secret tablets")
    FeedbackEventFactory(project=shoes, event_id="order-17", text="red running shoes")
    FeedbackEventFactory(project=phones, event_id="order-18", item=ItemFactory(project=phones, external_id="sku-9"),
                         text="", outcome=FeedbackOutcome.CORRECTED, corrected_label="Phone")
    FeedbackEventFactory(project=phones, event_id="order-19", text="galaxy s9", predicted_label="CPU")
    FeedbackEventFactory(project=theirs, event_id="order-17", text="secret tablet")
    return {"ours": ours, "shoes": shoes, "phones": phones, "theirs": theirs}


@pytest.fixture
def manager(client, shop):
    """A project manager of ours: the role reads feedback (TrainingConfig.project_manager_permissions), their
    organisation's only."""
    user = member_of(shop["ours"], ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER)
    assert user.has_perm("training.view_feedbackevent") and not user.has_perm("training.change_feedbackevent")
    client.force_login(user)
    return client


def listed(client, **query) -> list[str]:
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return sorted(str(event.event_id) + "@" + event.project.title for event in response.context["cl"].result_list)


def project_filter(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    # Each project asked with EXISTS on its index, never the DISTINCT projects of every event (a scan of millions).
    assert not [query for query in queries if "DISTINCT" in query["sql"] and "training_feedbackevent" in query["sql"]]
    spec = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "project")
    return [title for _, title in spec.lookup_choices]


def test_the_project_filter_lists_our_projects_with_feedback_only(manager, shop):
    assert project_filter(manager) == ["Our phones", "Our shoes"]  # not the quiet one, never theirs
    assert "Their secret tablets" not in manager.get(CHANGELIST).content.decode()
    assert listed(manager, project__id__exact=shop["phones"].pk) == ["order-18@Our phones", "order-19@Our phones"]
    assert listed(manager, project__id__exact=shop["theirs"].pk) == []  # named in the URL: still out of view


def test_a_superuser_filters_every_organisations_projects(client, shop):
    client.force_login(AdminFactory())
    assert project_filter(client) == ["Our phones", "Our shoes", "Their secret tablets"]


@pytest.mark.parametrize("term,found", [
    ("order-17", ["order-17@Our shoes"]),  # their order-17 is out of view
    ("order-19", ["order-19@Our phones"]), ("ORDER-19", []),  # an id as stored: another case is another event
    ("sku-9", ["order-18@Our phones"]),  # the item the event named
    ("phone", ["order-18@Our phones"]), ("cpu", ["order-19@Our phones"]),  # a label, whole, in any case
    ("pho", []),  # not a part of one; but words of the text...
    ("running", ["order-17@Our shoes"]),  # ...are found anywhere in it
    ("tablet", []),
    ("order-1", []),  # an id is matched whole
])
def test_search_finds_events_by_id_item_label_or_text_in_view(manager, term, found):
    assert listed(manager, q=term) == found


def test_the_outsiders_are_refused(client, shop):
    assert client.get(CHANGELIST).status_code == 302  # anonymous: to the login page
    client.force_login(AnnotatorFactory())
    assert client.get(CHANGELIST).status_code == 302



def test_each_row_says_what_happened_and_shows_the_start_of_its_text(manager, shop):
    """The list shows the start of the text it is searched by (or the item an event named) and what happened; the
    actor, confidence and the rest are on the event's page, so the list fits 1280 px (test_browser_run_lists)."""
    FeedbackEventFactory(project=shop["shoes"], event_id="order-20", text="long " * 40)
    response = manager.get(CHANGELIST)
    admin = response.context["cl"].model_admin
    rows = {event.event_id: (admin.project_title(event), admin.what_happened(event), admin.excerpt(event))
            for event in response.context["cl"].result_list}
    assert rows["order-17"] == ("Our shoes", "reported wrong: TV", "red running shoes")
    assert rows["order-18"] == ("Our phones", "corrected: TV → Phone", "item sku-9")
    assert rows["order-20"][2] == ("long " * 12).strip() + "…"  # 60 characters in all
    page = response.content.decode()
    assert "What happened" in page and "red running shoes" in page and "Confidence" not in page
    assert '<span style="white-space: nowrap">order-17</span>' in page  # an id never wraps at its hyphens
    event = next(event for event in response.context["cl"].result_list if event.event_id == "order-18")
    shown = manager.get(reverse("admin:training_feedbackevent_change", args=[event.pk])).content.decode()
    assert all(name in shown for name in ("Actor", "Confidence", "Corrected label", "Processed", "Model version"))
