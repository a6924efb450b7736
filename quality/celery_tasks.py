import logging

from celery import shared_task

from tasks.models import Project

from . import services

# Periodic jobs and evaluations log only what they did: Celery's own lines about them are dropped (crowdlabel/logfilters.py).
logger = logging.getLogger(__name__)


# Retried with backoff for about ten minutes (1, 2, 4 ... 60 s): a database or broker outage of that length loses
# nothing, and one longer is covered by the periodic re-evaluation below.
@shared_task(name="quality.evaluate_project", autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=60,
             max_retries=15)
def evaluate_project(project_id: int):
    """Infer labels for a project's answers and decide the items that are ready."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return None
    outcome = services.project_evaluate(project=project)
    awarded = services.qualifications_award(project=project)
    decided = {"accepted": outcome.accepted, "more_answers": outcome.more_answers, "to_review": outcome.to_review,
               "qualified": awarded}
    if any(decided.values()):
        logger.info("project %s evaluated: %s", project_id, decided)
    return decided


@shared_task(name="quality.recompute_weights", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def recompute_weights():
    """Periodic: scores and weights over the trailing window, then the anti-cheating rules, then the ledger."""
    from .services import earnings, integrity, scores

    outcome = {
        **scores.worker_weights_recompute(),
        **integrity.integrity_check(),
        **earnings.earnings_post(),
    }
    if any(outcome.values()):
        logger.info("worker weights, flags and earnings: %s", outcome)
    return outcome


@shared_task(name="quality.reevaluate_undecided")
def reevaluate_undecided():
    """Periodic: projects with fully answered items still undecided (their evaluation was lost) are evaluated."""
    scheduled = services.undecided_items_reevaluate()
    if scheduled:
        logger.info("evaluations scheduled for projects with undecided complete items: %s", scheduled)
    return scheduled
