from celery import shared_task

from tasks.models import Project

from . import services


@shared_task(name="quality.evaluate_project", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def evaluate_project(project_id: int):
    """Infer labels for a project's answers and decide the items that are ready."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return None
    outcome = services.project_evaluate(project=project)
    return {"accepted": outcome.accepted, "more_answers": outcome.more_answers, "to_review": outcome.to_review}


@shared_task(name="quality.recompute_weights", autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def recompute_weights():
    """Periodic: scores and weights over the trailing window, then the anti-cheating rules, then the ledger."""
    from .services import earnings, integrity, scores

    return {
        **scores.worker_weights_recompute(),
        **integrity.integrity_check(),
        **earnings.earnings_post(),
    }
