import logging

from celery import shared_task

from tasks.models import Project

from . import services

# Periodic jobs and evaluations log only what they did: Celery's own lines about them are dropped (crowdlabel/logfilters.py).
logger = logging.getLogger(__name__)


@shared_task(name="quality.evaluate_project", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
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
