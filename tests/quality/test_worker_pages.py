from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Suspension
from quality.models import EarningsEntry, FlagKind, WorkerFlag
from quality.services import scores
from tests.factories import AnnotatorFactory, IntegratorFactory
from tests.quality.test_scores import annotate
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_worker():
    project = ProjectFactory(reward_amount=Decimal("0.05"))
    worker, other = verified_worker(), verified_worker()
    item = ItemFactory(project=project)
    annotate(worker, item, "TV")
    annotate(other, item, "TV")
    annotate(worker, ItemFactory(project=project, gold="TV"), "TV")
    scores.worker_weights_recompute()
    EarningsEntry.objects.create(worker=worker, project=project, kind="reward", amount=Decimal("0.05"), currency="USD", note="item x")
    return worker


def test_worker_page_shows_scores_and_flags_to_reviewers_and_earnings_to_admins_only(
        client, reviewer, admin_user, scored_worker):
    WorkerFlag.objects.create(worker=scored_worker, kind=FlagKind.TOO_FAST, detail="6 of 10 answers too fast")
    url = reverse("admin:quality_workerquality_change", args=[scored_worker.worker_profile.pk])
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert "<polyline" in page and "6 of 10 answers too fast" in page
    assert "0.05 USD" not in page and "Earnings" not in page
    client.force_login(admin_user)
    assert "0.05 USD" in client.get(url).content.decode()


def test_admin_lifts_a_suspension_from_the_worker_list(client, admin_user):
    worker = verified_worker()
    profile = worker.worker_profile
    profile.suspended, profile.suspended_reason, profile.weight = True, "spam", 0.0
    profile.save()
    Suspension.objects.create(worker=worker, reason="spam")
    client.force_login(admin_user)
    client.post(reverse("admin:quality_workerquality_changelist"),
                {"action": "lift_suspension", "_selected_action": [profile.pk]})
    profile.refresh_from_db()
    assert not profile.suspended and profile.weight > 0
    assert Suspension.objects.get(worker=worker).lifted_by == admin_user


def test_ledger_export_as_csv(client, admin_user, scored_worker):
    client.force_login(admin_user)
    response = client.post(reverse("admin:quality_earningsentry_changelist"),
                           {"action": "export_csv", "_selected_action": list(EarningsEntry.objects.values_list("pk", flat=True))})
    body = response.content.decode()
    assert response["Content-Type"] == "text/csv"
    assert body.splitlines()[0].startswith("date,worker") and scored_worker.email in body


def test_annotators_see_their_own_earnings_only(client, scored_worker):
    someone_else = verified_worker()
    client.force_login(someone_else)
    assert "Nothing yet" in client.get(reverse("my-earnings")).content.decode()
    client.force_login(scored_worker)
    page = client.get(reverse("my-earnings")).content.decode()
    # No entry names its item: rewarded and penalised items together would tell which were gold checks.
    assert "0.05 USD" in page and "item x" not in page


def test_earnings_and_worker_pages_deny_outsiders(client, scored_worker):
    url = reverse("my-earnings")
    assert client.get(url).status_code == 302
    client.force_login(IntegratorFactory())
    assert client.get(url).status_code == 403
    client.force_login(AnnotatorFactory())
    assert client.get(reverse("admin:quality_workerquality_changelist")).status_code == 302


def test_worker_page_draws_day_one_as_dots_and_says_quality_in_percent(client, reviewer, scored_worker):
    """One day of scores is one point per line: a polyline of one point draws nothing, so dots mark it."""
    from accounts.models import WorkerProfile

    WorkerProfile.objects.filter(user=scored_worker).update(quality_score=0.83438)
    client.force_login(reviewer)
    page = client.get(reverse("admin:quality_workerquality_change", args=[scored_worker.worker_profile.pk])).content.decode()
    assert page.count("<circle") == 4  # Q, P, C and W on the one day
    assert "quality 83% (Q = 0.834)" in page and "0.83438" not in page
