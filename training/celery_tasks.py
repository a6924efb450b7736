import logging

from celery import shared_task

from . import feedback, predictions, promotion, services

# Periodic jobs log only what they did: Celery's own lines about them are dropped (crowdlabel/logfilters.py).
logger = logging.getLogger(__name__)


@shared_task(name="training.run", acks_late=False)
def run_training(run_id: int):
    """A fine-tuning run, on the `training` queue. Not retried: a failed run is recorded as failed, and a
    new run is a new decision. acks_late off: a killed worker's run must not be re-delivered silently."""
    run = services.training_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status}


@shared_task(name="training.check_stalled")
def check_stalled():
    """Periodic: runs whose worker stopped reporting are marked failed."""
    failed = services.training_runs_fail_stalled()
    if failed:
        logger.warning("%s training runs whose worker stopped reporting marked failed", failed)
    return failed


@shared_task(name="training.launch_due")
def launch_due():
    """Periodic: launch runs for projects that gathered enough newly accepted labels."""
    launched = services.training_runs_launch_due()
    if launched:
        logger.info("training runs launched: %s", ", ".join(map(str, launched)))
    return launched


@shared_task(name="training.preannotation_job", autoretry_for=(Exception,), retry_backoff=True, max_retries=2)
def preannotate(job_id: int):
    """Pre-annotation of a whole project (a PreannotationJob); its progress is saved on the job."""
    job = predictions.preannotation_job_run(job_id=job_id)
    return {"job": job.pk, "state": job.state, "done": job.done}


@shared_task(name="training.feedback_to_items")
def feedback_to_items():
    """Periodic: the live system's feedback becomes items for the crowd, by each project's rules."""
    done = {pk: counts for pk, counts in feedback.feedback_to_items_all().items()
            if counts["items"] or counts["to_review"] or counts["answers"]}
    if done:
        logger.info("feedback into work: %s", done)
    return done


@shared_task(name="training.consider_version", autoretry_for=(Exception,), retry_backoff=True, max_retries=2)
def consider_version(version_id: int):
    """A new version is scored against the active one, and promoted only if it beats it by the margin."""
    from .models import ModelVersion

    version = promotion.version_consider(version=ModelVersion.objects.get(pk=version_id))
    return {"version": version.pk, "decision": version.evaluation.get("decision")}
