"""The model back in the loop: predictions for the recommender, pre-annotation of open items (a suggestion
and an uncertainty for active learning, never a worker's vote), and the machine-learning quality check."""

import functools
import threading
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from quality.models import ItemDecision
from quality.services import review
from tasks import transitions
from tasks.models import Item, ItemState

from .models import JobState, ModelVersion, PreannotationJob, Prediction
from .snapshots import item_text

# Loading a model takes seconds and its weights take memory: the two most recently used versions stay
# loaded per process. The lock keeps two threads from loading the same model at once.
CACHE_SIZE = 2
_LOAD_LOCK = threading.Lock()


class ModelUnavailable(Exception):
    """The active model's files are not on this server (a web host without the training volume)."""


def predictor_for(version: ModelVersion):
    """The loaded model, kept between calls (the CACHE_SIZE most recently used versions per process).
    Raises ModelUnavailable when its folder is missing or cannot be loaded (and keeps nothing then)."""
    with _LOAD_LOCK:
        return _predictor_load(version.pk, version.folder, version.version)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _predictor_load(pk: int, folder: str, number: int):
    from training.ml.predict import Predictor

    if not Path(folder).is_dir():
        raise ModelUnavailable(f"The files of model version {number} are not on this server.")
    try:
        return Predictor(folder)
    except OSError as error:  # a folder with files missing or unreadable
        raise ModelUnavailable(f"Model version {number} cannot be loaded: {error}") from error


def active_version(project) -> ModelVersion | None:
    return ModelVersion.objects.filter(project=project, is_active=True).first()


def texts_predict(*, version: ModelVersion, texts: list[str]) -> list:
    return predictor_for(version).predict(texts)


def _label_and_score(prediction) -> tuple:
    if "spans" in prediction:
        spans = prediction["spans"]
        score = min((s["score"] for s in spans), default=1.0)
        return [{k: s[k] for k in ("start", "end", "label")} for s in spans], score
    return prediction["label"], prediction["score"]


def items_preannotate(*, version: ModelVersion, batch_size: int = 256, on_progress=None) -> int:
    """Predict every open item of the project: stored as predictions, and 1 - score as the item's
    uncertainty (the uncertainty-first assignment order reads it). The model is loaded once (predictor_for
    keeps it) and fed batch_size items at a time; on_progress(done, total) after each batch."""
    project = version.project
    items = Item.objects.filter(project=project, state__in=[ItemState.OPEN, ItemState.COLLECTING], is_gold=False)
    done = 0
    ids = list(items.values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        chunk = list(Item.objects.filter(pk__in=ids[start:start + batch_size]).order_by("pk"))
        results = texts_predict(version=version, texts=[item_text(project, item.data) for item in chunk])
        uncertainties = {}
        with transaction.atomic():
            for item, result in zip(chunk, results):
                label, score = _label_and_score(result)
                Prediction.objects.update_or_create(item=item, model_version=version, defaults={"label": label, "score": score})
                uncertainties[item.pk] = 1.0 - score
            done += transitions.items_set_uncertainty(uncertainties=uncertainties)
        if on_progress is not None:
            on_progress(done, len(ids))
    return done


@transaction.atomic
def preannotation_job_queue(*, version: ModelVersion, created_by=None) -> PreannotationJob:
    """Pre-annotation of the version's project as a Celery job, enqueued once this transaction commits."""
    job = PreannotationJob.objects.create(version=version, created_by=created_by)
    transaction.on_commit(lambda: _enqueue_preannotation(job.pk))
    return job


def _enqueue_preannotation(job_id: int) -> None:
    from .celery_tasks import preannotate

    preannotate.apply_async(args=[job_id])


def preannotation_job_run(*, job_id: int, batch_size: int = 256) -> PreannotationJob:
    """Run a queued job (or one retried after a failure): its progress is saved after each batch, so the admin
    and the API follow it; an error is recorded on the job and raised again, for the task's retry policy."""
    claimed = PreannotationJob.objects.filter(pk=job_id, state__in=[JobState.QUEUED, JobState.FAILED]).update(
        state=JobState.RUNNING, started_at=timezone.now(), finished_at=None, error="", done=0)
    job = PreannotationJob.objects.select_related("version__project").get(pk=job_id)
    if not claimed:
        return job  # running elsewhere, or done

    def report(done, total):
        PreannotationJob.objects.filter(pk=job_id).update(done=done, total=total)

    try:
        predicted = items_preannotate(version=job.version, batch_size=batch_size, on_progress=report)
    except Exception as error:
        PreannotationJob.objects.filter(pk=job_id).update(state=JobState.FAILED, finished_at=timezone.now(),
                                                          error=f"{type(error).__name__}: {error}")
        raise
    PreannotationJob.objects.filter(pk=job_id).update(state=JobState.DONE, finished_at=timezone.now(), done=predicted)
    job.refresh_from_db()
    return job


def disagreements_flag(*, version: ModelVersion, min_score: float = 0.9) -> int:
    """Accepted items where the model confidently disagrees with the crowd go to review (the design's
    machine-learning quality check). The crowd's label is kept as the suggestion."""
    project = version.project
    decisions = list(ItemDecision.objects.filter(project=project, item__state=ItemState.ACCEPTED, source="inferred")
                     .select_related("item"))
    if not decisions:
        return 0
    results = texts_predict(version=version, texts=[item_text(project, d.item.data) for d in decisions])
    flagged = 0
    for decision, result in zip(decisions, results):
        label, score = _label_and_score(result)
        if score >= min_score and label != decision.label:
            flagged += review.accepted_to_review(
                decision=decision, method=f"model v{version.version} disagrees ({score:.2f})"
            )
    return flagged
