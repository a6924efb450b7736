"""A project's quality figures: the reliability diagram, the estimated accuracy of accepted labels beside their
mean confidence, Krippendorff's alpha; the admin page and the API that show them, and who may see them."""

import pytest
from django.urls import reverse

from quality import reliability, selectors
from quality.inference.calibration import MIN_KNOWN_TRUTH
from quality.models import CalibrationSource
from tasks.models import ItemState
from tests.factories import AdminFactory, AnnotatorFactory, IntegratorFactory, ReviewerFactory, token_for
from tests.quality.factories import (
    AnnotationFactory, ItemDecisionFactory, ProjectCalibrationFactory, SampledReviewFactory,
)
from tests.tasks.factories import ItemFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def pairs(confidence, right, wrong):
    return [[confidence, 1]] * right + [[confidence, 0]] * wrong


# --- Reliability diagram ---------------------------------------------------------------------------

def test_bins_count_confidence_and_observed_accuracy_and_a_confidence_of_one_falls_in_the_last_bin():
    bins = reliability.reliability_bins(pairs(0.95, 7, 3) + pairs(1.0, 1, 0) + pairs(0.55, 5, 5), selectors.wilson_interval)
    assert len(bins) == 10 and [b["count"] for b in bins] == [0, 0, 0, 0, 0, 10, 0, 0, 0, 11]
    last = bins[9]
    assert last["correct"] == 8 and last["accuracy"] == pytest.approx(8 / 11)
    assert last["mean_confidence"] == pytest.approx((0.95 * 10 + 1.0) / 11)
    assert (last["ci_low"], last["ci_high"]) == pytest.approx(selectors.wilson_interval(8, 11))
    assert bins[0]["accuracy"] is None and bins[0]["ci_low"] is None
    # ECE: (10/21)·|0.5 − 0.55| + (11/21)·|8/11 − (10.5/11)|
    expected = 10 / 21 * 0.05 + 11 / 21 * abs(8 / 11 - 10.5 / 11)
    assert reliability.expected_calibration_error(bins) == pytest.approx(expected)


def test_project_reliability_reads_the_calibration_holdout():
    calibration = ProjectCalibrationFactory(holdout=pairs(0.85, 17, 3))
    figures = selectors.project_reliability(calibration.project)
    assert figures["pairs"] == 20 and figures["bins"][8]["accuracy"] == pytest.approx(0.85)
    assert figures["ece"] == pytest.approx(0.0)
    empty = selectors.project_reliability(ProjectFactory())
    assert empty["pairs"] == 0 and empty["ece"] is None and sum(b["count"] for b in empty["bins"]) == 0


# --- Estimated accuracy of the accepted labels -----------------------------------------------------

def test_accuracy_pools_known_truth_above_the_threshold_with_sampled_reviews():
    project = ProjectFactory(accept_confidence=0.9)
    # Known truth: 8 of 10 right at 0.95 count; the 20 below the threshold stand for no accepted item.
    ProjectCalibrationFactory(project=project, holdout=pairs(0.95, 8, 2) + pairs(0.6, 0, 20))
    SampledReviewFactory(item=ItemFactory(project=project), previous_label="TV", label="TV")
    SampledReviewFactory(item=ItemFactory(project=project), previous_label="TV", label="Phone")
    ItemDecisionFactory(item=ItemFactory(project=project, state=ItemState.ACCEPTED), confidence=0.99)
    ItemDecisionFactory(item=ItemFactory(project=project, state=ItemState.ACCEPTED), confidence=0.97)
    ItemDecisionFactory(item=ItemFactory(project=project, state=ItemState.ACCEPTED), confidence=1.0, source="reviewer")
    ItemDecisionFactory(item=ItemFactory(project=project, state=ItemState.NEEDS_REVIEW), confidence=0.5)

    figures = selectors.project_accuracy_estimate(project)

    assert figures["known_truth"] == {"count": 10, "correct": 8} and figures["sampled"] == {"count": 2, "correct": 1}
    assert (figures["count"], figures["correct"]) == (12, 9) and figures["accuracy"] == pytest.approx(0.75)
    assert (figures["ci_low"], figures["ci_high"]) == pytest.approx(selectors.wilson_interval(9, 12))
    # Only accepted labels inferred from the answers: not the reviewer's, not the one back in review.
    assert figures["accepted"] == 2 and figures["mean_confidence"] == pytest.approx(0.98)
    assert figures["confidence_vs_interval"] == "above"


def test_a_sampled_item_in_the_holdout_with_its_id_counts_once():
    project = ProjectFactory(accept_confidence=0.9)
    item = ItemFactory(project=project)
    SampledReviewFactory(item=item, previous_label="TV", label="Phone")
    ProjectCalibrationFactory(project=project, holdout=[[0.97, 0, item.pk], [0.96, 1, item.pk + 1000]])
    figures = selectors.project_accuracy_estimate(project)
    assert figures["known_truth"] == {"count": 1, "correct": 1} and figures["sampled"] == {"count": 1, "correct": 0}


def test_a_later_review_of_the_same_sampled_item_replaces_the_earlier_one():
    project = ProjectFactory()
    item = ItemFactory(project=project)
    SampledReviewFactory(item=item, previous_label="TV", label="Phone")
    SampledReviewFactory(item=item, previous_label="Phone", label="Phone")
    assert selectors.project_accuracy_estimate(project)["sampled"] == {"count": 1, "correct": 1}


def test_no_evidence_gives_no_estimate():
    figures = selectors.project_accuracy_estimate(ProjectFactory())
    assert figures["count"] == 0 and figures["accuracy"] is None and figures["ci_low"] is None
    assert figures["mean_confidence"] is None and figures["confidence_vs_interval"] is None


# --- Agreement ---------------------------------------------------------------------------------------

def answer_items(project, answer_sets, **item_fields):
    items = []
    for answers in answer_sets:
        item = ItemFactory(project=project, **item_fields)
        for answer in answers:
            AnnotationFactory(assignment__item=item, answer=answer)
        items.append(item)
    return items


def test_alpha_per_project_and_class_for_single_label():
    """(TV, TV), (Phone, Phone), (TV, Phone): o_TT = o_PP = 2, o_TP = o_PT = 1, n = 6, so
    D_o = 2/6, D_e = 2·3·3 / (6·5) and α = 1 − D_o/D_e = 4/9."""
    project = ProjectFactory()
    answer_items(project, [["TV", "TV"], ["Phone", "Phone"], ["TV", "Phone"], ["CPU"]])
    # Neither gold items nor answers superseded by a send-back count.
    answer_items(project, [["CPU", "TV", "Phone"]], gold="TV")
    sent_back = ItemFactory(project=project)
    AnnotationFactory(assignment__item=sent_back, answer="CPU", superseded=True)
    AnnotationFactory(assignment__item=sent_back, answer="TV", superseded=True)

    agreement = selectors.project_agreement(project)

    assert agreement["alpha"] == pytest.approx(4 / 9) and agreement["items"] == 3 and agreement["answers"] == 7
    per_class = {row["label"]: row for row in agreement["per_class"]}
    assert per_class["TV"]["alpha"] == pytest.approx(4 / 9) and per_class["TV"]["chosen"] == 3
    # CPU was chosen once, on an item nobody else answered: "not CPU" everywhere it can be paired.
    assert per_class["CPU"]["alpha"] is None and per_class["CPU"]["chosen"] == 1


def test_alpha_for_multi_label_takes_each_label_set_as_a_category():
    project = ProjectFactory(multi_label=True, labels=["Red", "Blue"])
    answer_items(project, [[["Red"], ["Red"]], [["Blue", "Red"], ["Blue", "Red"]], [["Red"], ["Blue", "Red"]]])
    agreement = selectors.project_agreement(project)
    assert agreement["alpha"] == pytest.approx(4 / 9)
    per_class = {row["label"]: row["alpha"] for row in agreement["per_class"]}
    assert per_class["Red"] is None  # everyone chose Red: no disagreement to expect, alpha undefined
    assert per_class["Blue"] == pytest.approx(4 / 9)


def test_perfect_and_systematic_disagreement():
    project = ProjectFactory()
    answer_items(project, [["TV", "TV"], ["Phone", "Phone"]])
    assert selectors.project_agreement(project)["alpha"] == pytest.approx(1.0)
    other = ProjectFactory()
    answer_items(other, [["TV", "Phone"], ["Phone", "TV"]])
    assert selectors.project_agreement(other)["alpha"] < 0


def test_span_projects_are_skipped_and_empty_projects_have_no_alpha():
    agreement = selectors.project_agreement(ProjectFactory(span=True))
    assert agreement["alpha"] is None and "Span" in agreement["skipped"]
    empty = selectors.project_agreement(ProjectFactory())
    assert empty["alpha"] is None and empty["items"] == 0 and all(row["alpha"] is None for row in empty["per_class"])


# --- The admin page ------------------------------------------------------------------------------

@pytest.fixture
def calibrated_project():
    project = ProjectFactory(title="Shop categories", accept_confidence=0.9)
    ProjectCalibrationFactory(project=project, holdout=pairs(0.95, 150, 20) + pairs(0.65, 20, 10))
    answer_items(project, [["TV", "TV"], ["Phone", "Phone"], ["TV", "Phone"]])
    return project


def test_quality_page_shows_accuracy_calibration_diagram_and_agreement(client, calibrated_project):
    client.force_login(ReviewerFactory())
    page = client.get(reverse("admin:quality_projectquality_change", args=[calibrated_project.pk])).content.decode()
    assert "fitted on 200 known-truth item(s)" in page and "dawid_skene" in page
    assert "0.882" in page  # 150 of 170 known-truth items at or above the threshold
    assert page.count('fill="#4e79a7"') == 2 and "150 of 170 right" in page  # two non-empty bins, with figures
    assert "α = 0.444" in page


def test_quality_page_before_the_first_evaluation(client):
    project = ProjectFactory()
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:quality_projectquality_change", args=[project.pk])).content.decode()
    assert "Not evaluated yet" in page and "This project has no gold items." in page and 'class="reliability"' not in page


def test_quality_page_counts_gold_items_and_their_answers_when_there_is_no_diagram(client):
    # It once said "No known-truth items yet" of a project with gold that had simply not been answered enough.
    project = ProjectFactory()
    ProjectCalibrationFactory(project=project, source=CalibrationSource.DEFAULT, known_truth=2, holdout=[])
    answer_items(project, [["TV"], ["Phone", "TV"]], gold="TV")
    ItemFactory.create_batch(3, project=project, gold="Phone")
    ItemFactory(project=project)  # not gold: not counted
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:quality_projectquality_change", args=[project.pk])).content.decode()
    assert "No known-truth items yet" not in page and 'class="reliability"' not in page
    assert "This project has 5 gold items, 2 of them answered so far." in page
    assert f"need\n{MIN_KNOWN_TRUTH} known-truth items" in page


def test_default_calibration_says_so_in_the_list(client):
    ProjectCalibrationFactory(project=ProjectFactory(title="Fresh"), source=CalibrationSource.DEFAULT, known_truth=0)
    ProjectFactory(title="Never evaluated")
    client.force_login(ReviewerFactory())
    page = client.get(reverse("admin:quality_projectquality_changelist")).content.decode()
    assert "0.15, default learned on other crowds: 0 known-truth item(s), 10 needed to fit" in page
    assert "Never evaluated" in page and "not evaluated yet" in page


def test_the_project_page_links_to_its_quality_page(client):
    project = ProjectFactory()
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:tasks_project_change", args=[project.pk])).content.decode()
    assert reverse("admin:quality_projectquality_change", args=[project.pk]) in page


@pytest.mark.parametrize("persona, status", [
    (None, 302), (AnnotatorFactory, 302), (IntegratorFactory, 302), (ReviewerFactory, 200), (AdminFactory, 200),
])
def test_quality_page_is_for_reviewers_and_admins(client, calibrated_project, persona, status):
    if persona:
        client.force_login(persona())
    for url in (reverse("admin:quality_projectquality_change", args=[calibrated_project.pk]),
                reverse("admin:quality_projectquality_changelist")):
        response = client.get(url)
        assert response.status_code == status
        if status == 302:
            assert "/admin/login/" in response["Location"]


# --- The API --------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona, status", [
    (None, 401), (AnnotatorFactory, 403), (ReviewerFactory, 403), (IntegratorFactory, 200), (AdminFactory, 200),
])
def test_quality_api_is_for_integrators_and_admins(api_client, calibrated_project, persona, status):
    if persona:
        api_client.force_authenticate(persona())
    assert api_client.get(reverse("api-project-quality", args=[calibrated_project.pk])).status_code == status


def test_quality_api_gives_calibration_accuracy_reliability_and_agreement(api_client, calibrated_project):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    body = api_client.get(reverse("api-project-quality", args=[calibrated_project.pk])).json()
    assert body["calibration"]["source_text"] == "fitted on 200 known-truth item(s)"
    assert body["calibration"]["method"] == "dawid_skene" and body["calibration"]["correlation"] == 0.15
    assert body["accuracy"]["count"] == 170 and body["accuracy"]["accuracy"] == pytest.approx(150 / 170)
    assert body["reliability"]["pairs"] == 200 and len(body["reliability"]["bins"]) == 10
    assert body["reliability"]["ece"] == pytest.approx(0.15 * abs(20 / 30 - 0.65) + 0.85 * abs(150 / 170 - 0.95))
    assert body["agreement"]["alpha"] == pytest.approx(4 / 9)
    assert {row["label"] for row in body["agreement"]["per_class"]} == {"Phone", "TV", "CPU"}
    assert api_client.get(reverse("api-project-quality", args=[calibrated_project.pk + 999])).status_code == 404


def test_quality_api_is_in_the_schema(client):
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/projects/{id}/quality/"]["get"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert reference.endswith("/ProjectQuality")
    assert {"calibration", "accuracy", "reliability", "agreement"} <= set(schema["components"]["schemas"]["ProjectQuality"]["properties"])
