"""Item decisions and reviewer adjudication, through the real submission and assignment services."""

import csv
import logging
import random
from contextlib import nullcontext
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.models import Annotation
from annotations.services import annotation_submit
from quality.services import decisions
from quality.models import DecisionSource, ItemDecision, Review, Suggestion, VerificationSample, WorkerProjectQuality
from tasks import assignment as assignment_service
from tasks.models import Item, ItemState, ProjectStatus
from accounts.selectors import worker_pseudonym
from accounts.models import MembershipRole
from quality.services.review import ReviewError, review_accept_suggestion
from tests.factories import (AnnotatorFactory, IntegratorFactory, OrganisationFactory, ProjectManagerFactory, member_of,
                             token_for)
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.factories import verified_worker

pytestmark = pytest.mark.django_db


def answer(worker, project, label, on_commit):
    assignment = assignment_service.assignment_next(worker=worker, project=project, rng=random.Random(1)).assignment
    with on_commit(execute=True):
        annotation_submit(worker=worker, assignment_id=assignment.pk, answer=label)
    return assignment.item_id


def project_with_one_item(**fields):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3, max_overlap=3,
                             accept_confidence=0.9, **fields)
    return project, ItemFactory(project=project)


def test_unanimous_answers_are_accepted(django_capture_on_commit_callbacks):
    project, item = project_with_one_item()
    for _ in range(3):
        answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    decision = ItemDecision.objects.get(item=item)
    assert item.state == ItemState.ACCEPTED
    assert decision.label == "TV" and decision.confidence >= 0.9 and decision.source == DecisionSource.INFERRED
    assert decision.answers_count == 3


def test_nothing_is_decided_before_the_overlap_is_reached(django_capture_on_commit_callbacks):
    project, item = project_with_one_item()
    answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.COLLECTING and not ItemDecision.objects.exists()


def test_disagreement_below_the_threshold_goes_to_the_review_queue(django_capture_on_commit_callbacks):
    project, item = project_with_one_item()
    for label in ("TV", "TV", "Phone"):
        answer(verified_worker(), project, label, django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW
    suggestion = Suggestion.objects.get(item=item)
    assert suggestion.label == "TV" and suggestion.confidence < 0.97
    assert not ItemDecision.objects.exists()


def test_disagreement_asks_for_more_answers_up_to_the_maximum(django_capture_on_commit_callbacks):
    project, item = project_with_one_item()
    project.max_overlap = 4
    project.save()
    for label in ("TV", "TV", "Phone"):
        answer(verified_worker(), project, label, django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.COLLECTING and item.open_slots == 1
    answer(verified_worker(), project, "CPU", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW and item.submitted_count == 4


def test_adaptive_overlap_stops_early_when_two_answers_agree(django_capture_on_commit_callbacks):
    # Two agreeing workers with no track record are worth about 0.9 once calibrated for correlated errors.
    project, item = project_with_one_item(adaptive_overlap=True, early_stop_confidence=0.85)
    answer(verified_worker(), project, "CPU", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.COLLECTING
    answer(verified_worker(), project, "CPU", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.ACCEPTED and item.open_slots == 0
    assert ItemDecision.objects.get(item=item).answers_count == 2


def test_answers_arriving_during_inference_do_not_decide_on_the_older_verdict(monkeypatch):
    """Inference takes seconds on a big project; answers keep arriving meanwhile. An item completed during
    inference must wait for the next evaluation, not be decided on a verdict that missed its answers
    (one answer is too weak to accept: the item would go to review, or ask for a fourth answer it does not need)."""
    project, item = project_with_one_item()
    first, late = verified_worker(), [verified_worker(), verified_worker()]

    def no_evaluation(execute):  # in place of the on-commit fixture: the answer is stored, nothing evaluated
        return nullcontext()

    answer(first, project, "TV", no_evaluation)
    seen = []

    def inference_while_the_others_answer(*args, **kwargs):
        verdicts = infer(*args, **kwargs)
        seen.append(verdicts[item.pk].confidence)
        for worker in late:
            answer(worker, project, "TV", no_evaluation)
        return verdicts

    infer = decisions._categorical_verdicts
    monkeypatch.setattr(decisions, "_categorical_verdicts", inference_while_the_others_answer)
    outcome = decisions.project_evaluate(project=project)

    assert seen[0] < project.accept_confidence  # the stale verdict would not have been accepted
    item.refresh_from_db()
    assert (outcome.more_answers, outcome.to_review, outcome.accepted) == (0, 0, 0)
    assert item.state == ItemState.COLLECTING and item.open_slots == 0 and item.submitted_count == 3
    monkeypatch.undo()
    assert decisions.project_evaluate(project=project).accepted == 1  # the next evaluation sees all three


def test_span_answers_are_aggregated(django_capture_on_commit_callbacks):
    project = ProjectFactory(span=True, status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=3, max_overlap=3,
                             accept_confidence=0.5)
    item = ItemFactory(project=project, data={"text": "nike air max red"})
    ner = {"start": 0, "end": 4, "label": "ORG"}
    for spans in ([ner], [ner], [ner, {"start": 13, "end": 16, "label": "LOC"}]):
        answer(verified_worker(), project, spans, django_capture_on_commit_callbacks)
    decision = ItemDecision.objects.get(item=item)
    assert decision.label == [ner]
    assert 0.5 <= decision.confidence < 1.0  # mean pairwise span F1: two agree fully, one partly


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    """An item in the review queue, answered TV, TV, Phone."""
    project, item = project_with_one_item()
    workers = [verified_worker() for _ in range(3)]
    for worker, label in zip(workers, ("TV", "TV", "Phone")):
        answer(worker, project, label, django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW
    return project, item, workers


def review(client, item, **data):
    return client.post(reverse("admin:quality_reviewqueueitem_change", args=[item.pk]), data, follow=True)


def test_the_review_page_shows_answers_beside_worker_quality(client, reviewer, queued):
    project, item, workers = queued
    client.force_login(reviewer)
    queue = client.get(reverse("admin:quality_reviewqueueitem_changelist")).content.decode()
    assert item.external_id in queue
    page = client.get(reverse("admin:quality_reviewqueueitem_change", args=[item.pk])).content.decode()
    for worker in workers:  # by the pseudonym exports use: reviewers never see who the workers are
        assert worker_pseudonym(worker.pk) in page and worker.username not in page and worker.email not in page
    assert "Accept the suggestion" in page and "Send back for fresh annotation" in page
    assert "Estimated accuracy in this project" in page


def test_accepting_the_suggestion(client, reviewer, queued, django_capture_on_commit_callbacks):
    project, item, _ = queued
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        review(client, item, action="accept_suggestion")
    item.refresh_from_db()
    decision = ItemDecision.objects.get(item=item)
    assert item.state == ItemState.ACCEPTED and decision.label == "TV"
    assert decision.source == DecisionSource.REVIEWER and decision.decided_by == reviewer
    assert Review.objects.get(item=item).action == "accept_suggestion"


def test_a_project_manager_adjudicates_their_organisations_items(client, queued, django_capture_on_commit_callbacks):
    """A project manager does what a reviewer does; the queue's buttons answered them "only reviewers"."""
    project, item, _ = queued
    manager = member_of(project.organisation, ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        review(client, item, action="accept_suggestion")
    item.refresh_from_db()
    assert item.state == ItemState.ACCEPTED and ItemDecision.objects.get(item=item).decided_by == manager


def test_nobody_adjudicates_another_organisations_item_or_without_a_staff_role(queued):
    project, item, workers = queued
    outsider = member_of(OrganisationFactory(), ProjectManagerFactory(), MembershipRole.PROJECT_MANAGER)
    with pytest.raises(ReviewError, match="not in a project of your organisation"):
        review_accept_suggestion(item_id=item.pk, reviewer=outsider)
    with pytest.raises(ReviewError, match="Only admins, reviewers and project managers"):
        review_accept_suggestion(item_id=item.pk, reviewer=workers[0])
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW and not ItemDecision.objects.filter(item=item).exists()


def test_picking_another_label_changes_the_label_and_the_workers_scores(client, reviewer, queued,
                                                                        django_capture_on_commit_callbacks):
    project, item, workers = queued
    before = dict(WorkerProjectQuality.objects.values_list("worker_id", "accuracy"))
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        review(client, item, action="pick_label", label="Phone")
    assert ItemDecision.objects.get(item=item).label == "Phone"
    after = dict(WorkerProjectQuality.objects.values_list("worker_id", "accuracy"))
    phone_worker, tv_worker = workers[2].pk, workers[0].pk
    # The reviewer's label is known truth now: the worker who answered it gains, the others lose.
    assert after[phone_worker] > before[phone_worker]
    assert after[tv_worker] < before[tv_worker]


def test_picking_an_unknown_label_is_refused(client, admin_user, queued):
    project, item, _ = queued
    client.force_login(admin_user)
    response = review(client, item, action="pick_label", label="Toaster")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.state == ItemState.NEEDS_REVIEW and not Review.objects.exists()


def test_sending_back_asks_new_workers_for_fresh_answers(client, reviewer, queued):
    project, item, workers = queued
    client.force_login(reviewer)
    review(client, item, action="send_back")
    item.refresh_from_db()
    assert item.state == ItemState.COLLECTING and item.open_slots == project.overlap and item.submitted_count == 0
    assert Annotation.objects.filter(item=item, superseded=True).count() == 3
    # The workers who answered never get it again; a new worker does.
    for worker in workers:
        got = assignment_service.assignment_next(worker=worker, project=project).assignment
        assert got is None or got.item_id != item.pk
    assert assignment_service.assignment_next(worker=verified_worker(), project=project).assignment.item_id == item.pk


def test_verification_sample_estimates_accuracy(client, admin_user, django_capture_on_commit_callbacks):
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.0, overlap=1, max_overlap=1, accept_confidence=0.5)
    ItemFactory.create_batch(4, project=project)
    worker = verified_worker()
    for _ in range(4):
        answer(worker, project, "TV", django_capture_on_commit_callbacks)
    assert Item.objects.filter(project=project, state=ItemState.ACCEPTED).count() == 4
    client.force_login(admin_user)
    client.post(reverse("admin:quality_verificationsample_add"), {"project": project.pk, "size": 4})
    sample = VerificationSample.objects.get()
    items = list(sample.items.all())
    assert all(i.state == ItemState.NEEDS_REVIEW for i in Item.objects.filter(pk__in=[i.pk for i in items]))
    for n, item in enumerate(items):
        if n < 3:
            review(client, item, action="accept_suggestion")
        else:
            review(client, item, action="pick_label", label="Phone")
    page = client.get(reverse("admin:quality_verificationsample_changelist")).content.decode()
    assert "75.0%" in page and "n=4" in page


def test_review_queue_denies_annotators(client):
    client.force_login(AnnotatorFactory())
    assert client.get(reverse("admin:quality_reviewqueueitem_changelist")).status_code == 302


def test_results_api_for_integrators_only(api_client, django_capture_on_commit_callbacks):
    project, item = project_with_one_item()
    for _ in range(3):
        answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    url = reverse("api-project-results", args=[project.pk])
    assert api_client.get(url).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AnnotatorFactory())}")
    assert api_client.get(url).status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    rows = api_client.get(url).json()["results"]
    assert rows == [{**rows[0], "external_id": item.external_id, "label": "TV", "answers_count": 3, "source": "inferred"}]


def test_infer_truth_command_needs_no_database(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("task,worker,label\nt1,a,x\nt1,b,x\nt1,c,y\nt2,a,y\nt2,b,y\nt2,a,y\n")
    output = tmp_path / "truth.csv"
    call_command("infer_truth", "--answers", str(answers), "--output", str(output), "--method", "majority_vote")
    rows = list(csv.DictReader(output.open()))
    assert [(r["task"], r["label"]) for r in rows] == [("t1", "x"), ("t2", "y")]
    assert 0 < float(rows[0]["confidence"]) <= 1


def copying_crowd_files(tmp_path, gold_share):
    """Answers of a crowd whose groups copy a 70%-right leader, and a gold file of the first tasks."""
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 2, 800)
    leader = np.where(rng.random(800) < 0.7, truth, 1 - truth)
    group = rng.integers(0, 5, 800)
    answers = ["task,worker,label"] + [f"t{t},g{group[t]}w{i},{'ab'[leader[t]]}" for t in range(800) for i in range(3)]
    gold = ["task,label"] + [f"t{t},{'ab'[truth[t]]}" for t in range(int(gold_share * 800))]
    (tmp_path / "answers.csv").write_text("\n".join(answers) + "\n")
    (tmp_path / "gold.csv").write_text("\n".join(gold) + "\n")
    return truth


def test_infer_truth_with_gold_reports_honest_confidence(tmp_path):
    truth = copying_crowd_files(tmp_path, gold_share=0.1)
    out = StringIO()
    for name, extra in (("no_gold.csv", []), ("gold_out.csv", ["--gold", str(tmp_path / "gold.csv")])):
        call_command("infer_truth", "--answers", str(tmp_path / "answers.csv"), "--output", str(tmp_path / name),
                     *extra, stdout=out)
    assert "calibrated on 80 known tasks" in out.getvalue()
    assert "default calibration: 0 known tasks" in out.getvalue()

    def confidence_and_accuracy(name):
        rows = {r["task"]: r for r in csv.DictReader((tmp_path / name).open())}
        scored = [f"t{t}" for t in range(80, 800)]
        right = [rows[t]["label"] == "ab"[truth[int(t[1:])]] for t in scored]
        return np.mean([float(rows[t]["confidence"]) for t in scored]), np.mean(right)

    confidence, accuracy = confidence_and_accuracy("no_gold.csv")
    assert confidence > accuracy + 0.1             # copies read as independent witnesses
    confidence, accuracy = confidence_and_accuracy("gold_out.csv")
    assert abs(confidence - accuracy) < 0.06


@pytest.mark.parametrize("gold, error", [
    ("task,label\nt1,zebra\n", "line 2: label 'zebra'"),
    ("task,label\nt1,a\nt1,b\n", "line 3: task 't1' is given two labels"),
    ("item,answer\nt1,a\n", "the header must have task and label"),
])
def test_infer_truth_refuses_a_gold_file_it_cannot_trust(tmp_path, gold, error):
    copying_crowd_files(tmp_path, gold_share=0.1)
    (tmp_path / "gold.csv").write_text(gold)
    with pytest.raises(CommandError, match=error):
        call_command("infer_truth", "--answers", str(tmp_path / "answers.csv"), "--output", str(tmp_path / "o.csv"),
                     "--gold", str(tmp_path / "gold.csv"))


def test_infer_truth_says_when_gold_is_too_little_to_fit_and_when_it_names_unanswered_tasks(tmp_path):
    copying_crowd_files(tmp_path, gold_share=0.1)
    (tmp_path / "gold.csv").write_text("task,label\nt1,a\nt2,b\nnobody,a\n")
    out, err = StringIO(), StringIO()
    call_command("infer_truth", "--answers", str(tmp_path / "answers.csv"), "--output", str(tmp_path / "o.csv"),
                 "--gold", str(tmp_path / "gold.csv"), stdout=out, stderr=err)
    assert "default calibration: 2 known tasks, 10 needed to fit" in out.getvalue()
    assert "1 of 3 gold rows name tasks nobody answered" in err.getvalue()
    with pytest.raises(CommandError, match="--output"):
        call_command("infer_truth", "--answers", str(tmp_path / "answers.csv"),
                     "--output", str(tmp_path / "missing/o.csv"))


def test_an_evaluation_records_its_calibration_with_the_known_items_it_was_fitted_on():
    from quality.models import ProjectCalibration
    from tests.factories import AnnotatorFactory as Worker
    from tests.quality.factories import AnnotationFactory

    project = ProjectFactory(status=ProjectStatus.PUBLISHED, gold_share=0.1, overlap=3, max_overlap=3)
    workers = [Worker() for _ in range(4)]
    rng = random.Random(3)
    gold_items = []
    for n in range(40):
        is_gold = n < 12
        item = ItemFactory(project=project, is_gold=is_gold, gold="TV" if is_gold else None)
        gold_items += [item.pk] if is_gold else []
        for worker in workers[:3] if n % 2 else workers[1:]:
            AnnotationFactory(assignment__item=item, assignment__worker=worker,
                              answer="TV" if rng.random() < 0.8 else "Phone")
    decisions.project_evaluate(project=project)
    calibration = ProjectCalibration.objects.get(project=project)
    assert calibration.source == "known_truth" and calibration.known_truth == 12
    assert sorted(item_id for _, _, item_id in calibration.holdout) == sorted(gold_items)
    assert all(0.0 <= confidence <= 1.0 for confidence, _, _ in calibration.holdout)
    assert calibration.method in {"one_coin", "mace", "mace_dawid_skene", "dawid_skene"}
    assert calibration.points and calibration.fitted_on == 12
    decisions.project_evaluate(project=project)                  # same known truth: the fit is reused
    again = ProjectCalibration.objects.get(project=project)
    assert again.points == calibration.points and again.holdout == calibration.holdout


def test_an_evaluation_logs_one_line_when_it_decides_and_none_when_it_does_not(caplog,
                                                                            django_capture_on_commit_callbacks):
    from quality.celery_tasks import evaluate_project

    caplog.set_level(logging.INFO)
    project, item = project_with_one_item()
    answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    caplog.clear()
    evaluate_project.apply(args=[project.pk])
    assert [r.getMessage() for r in caplog.records if r.name.startswith("quality")] == []
    for _ in range(2):
        answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    ItemDecision.objects.filter(item=item).delete()
    Item.objects.filter(pk=item.pk).update(state=ItemState.COLLECTING)
    caplog.clear()
    evaluate_project.apply(args=[project.pk])
    assert [r.getMessage() for r in caplog.records if r.name.startswith("quality")] == [
        f"project {project.pk} evaluated: {{'accepted': 1, 'more_answers': 0, 'to_review': 0, 'qualified': 0}}"]


def test_the_periodic_job_decides_items_whose_evaluation_was_lost():
    from quality.celery_tasks import reevaluate_undecided

    project, item = project_with_one_item()
    for _ in range(3):  # the evaluations their commits would schedule are lost: the commits never happen here
        answer(verified_worker(), project, "TV", lambda **kw: nullcontext())
    assert Item.objects.get(pk=item.pk).state == ItemState.COLLECTING  # fully answered, undecided

    assert reevaluate_undecided.apply().get() == 1
    assert Item.objects.get(pk=item.pk).state == ItemState.ACCEPTED
    assert reevaluate_undecided.apply().get() == 0  # nothing left undecided: nothing scheduled


def test_the_periodic_job_leaves_items_still_collecting_answers(django_capture_on_commit_callbacks):
    from quality.celery_tasks import reevaluate_undecided

    project, item = project_with_one_item()
    answer(verified_worker(), project, "TV", django_capture_on_commit_callbacks)
    assert reevaluate_undecided.apply().get() == 0
    assert Item.objects.get(pk=item.pk).state == ItemState.COLLECTING
