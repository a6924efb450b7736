"""Promotion, not replacement: a new version is scored on the project's frozen evaluation set (gold items and
items a reviewer decided: never trained on, see snapshots.dataset_build) and on recent corrected feedback,
side by side with the active version on the same examples. It becomes active by itself only if it beats the
active one by the project's margin; otherwise it waits for an admin. Rollback is one action."""

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from quality.models import DecisionSource, ItemDecision
from tasks.models import Item, TaskType

from . import feedback, predictions, selectors, services, signals, snapshots
from .models import FeedbackOutcome, ModelVersion, RunTask

FEEDBACK_DAYS = 30
FEEDBACK_LIMIT = 2000
FLIPS_KEPT = 50


def evaluation_examples(project) -> dict[str, list[tuple[str, str, str]]]:
    """{"frozen": [(key, text, label)], "feedback": [...]}: the examples every version is judged on."""
    gold = Item.objects.filter(project=project, is_gold=True).values_list("pk", "data", "gold")
    reviewed = (ItemDecision.objects.filter(project=project, source=DecisionSource.REVIEWER, item__state="accepted")
                .values_list("item_id", "item__data", "label"))
    frozen = [(f"item-{pk}", snapshots.item_text(project, data), label) for pk, data, label in [*gold, *reviewed]
              if isinstance(label, str)]
    since = timezone.now() - timedelta(days=FEEDBACK_DAYS)
    corrected = (feedback.FeedbackEvent.objects.filter(project=project, outcome=FeedbackOutcome.CORRECTED,
                                                       occurred_at__gte=since)
                 .select_related("item").order_by("-pk")[:FEEDBACK_LIMIT])
    recent = [(f"feedback-{event.event_id}",
               snapshots.item_text(project, event.item.data) if event.item else event.text, event.corrected_label)
              for event in corrected]
    return {"frozen": frozen, "feedback": recent}


def scores(truth: list[str], guessed: list[str]) -> dict:
    """Accuracy, macro-F1 over the labels in the truth, and F1 per label."""
    labels = sorted(set(truth))
    per_class = {}
    for label in labels:
        hits = sum(t == g == label for t, g in zip(truth, guessed))
        predicted, actual = Counter(guessed)[label], Counter(truth)[label]
        precision = hits / predicted if predicted else 0.0
        recall = hits / actual if actual else 0.0
        per_class[label] = round(2 * precision * recall / (precision + recall), 4) if hits else 0.0
    accuracy = sum(t == g for t, g in zip(truth, guessed)) / len(truth) if truth else None
    macro = sum(per_class.values()) / len(per_class) if per_class else None
    return {"examples": len(truth), "accuracy": accuracy, "macro_f1": macro, "per_class": per_class}


def _guesses(version: ModelVersion, examples) -> list[str]:
    if not examples:
        return []
    return [p["label"] for p in predictions.texts_predict(version=version, texts=[text for _, text, _ in examples])]


def versions_compare(*, candidate: ModelVersion, active: ModelVersion | None) -> dict:
    """Both versions on the same examples: figures per set, per-class changes, and examples that flipped."""
    examples = evaluation_examples(candidate.project)
    result = {"evaluated_at": timezone.now().isoformat(), "against": active.version if active else None}
    for name, rows in examples.items():
        truth = [label for _, _, label in rows]
        new = _guesses(candidate, rows)
        result[name] = scores(truth, new)
        if active is not None:
            old = _guesses(active, rows)
            result[name]["active"] = scores(truth, old)
            result[name]["flipped"] = [
                {"example": key, "text": text[:200], "label": label, "active": before, "candidate": after}
                for (key, text, label), before, after in zip(rows, old, new) if before != after][:FLIPS_KEPT]
    return result


def version_consider(*, version: ModelVersion) -> ModelVersion:
    """Evaluate a new version against the active one and promote it when it beats it by the margin on the
    frozen set; otherwise record why it waits for an admin."""
    project = version.project
    active = predictions.active_version(project)
    if version.task != RunTask.SEQUENCE or project.task_type == TaskType.MULTI_LABEL:
        return _note(version, {"decision": "waits", "reason": "Only label models are scored automatically."})
    comparison = versions_compare(candidate=version, active=active if active and active.pk != version.pk else None)
    policy = feedback.feedback_policy(project)
    decision, reason = _decide(comparison, policy, active, version)
    _note(version, {**comparison, "decision": decision, "reason": reason})
    if decision == "promoted":
        model_version_make_active(version=version, reason=reason)
    version.refresh_from_db()
    return version


def _decide(comparison, policy, active, version) -> tuple[str, str]:
    frozen = comparison["frozen"]
    if frozen["macro_f1"] is None:
        return "waits", "The frozen evaluation set is empty: no gold or reviewed items to judge it by."
    if not policy.auto_promote:
        return "waits", "Automatic promotion is off for this project."
    # The floor an admin must confirm past (TRAINING_ACTIVATION_FLOOR) holds for promotion too, the first
    # version's included: nobody is asked here, so a version below it is left for a person to decide.
    figure, floor = selectors.headline(version.task, version.metrics), selectors.activation_floor()
    if figure is not None and figure.value < floor:
        return "waits", f"Its {figure} is below the activation floor of {floor:.2f}: an admin may activate it."
    if active is None or "active" not in frozen:
        return "promoted", f"First version: macro-F1 {frozen['macro_f1']:.3f} on the frozen set."
    new, old = frozen["macro_f1"], frozen["active"]["macro_f1"] or 0.0
    if new >= old + policy.promotion_margin:
        return "promoted", f"macro-F1 {new:.3f} beats v{active.version}'s {old:.3f} by at least {policy.promotion_margin}."
    return "waits", f"macro-F1 {new:.3f} does not beat v{active.version}'s {old:.3f} by {policy.promotion_margin}."


def _note(version, evaluation) -> ModelVersion:
    ModelVersion.objects.filter(pk=version.pk).update(evaluation=evaluation)
    version.refresh_from_db()
    return version


@transaction.atomic
def model_version_make_active(*, version: ModelVersion, reason: str) -> ModelVersion:
    """Activate (confirmed: the caller decided), and tell the integrators: promoted, or rolled back when an
    earlier version than the active one comes back."""
    previous = predictions.active_version(version.project)
    services.model_version_activate(version=version, confirmed=True)
    rolled_back = previous is not None and version.version < previous.version
    signals.send_on_commit(signals.model_version_changed, version_id=version.pk, project_id=version.project_id,
                           previous_id=previous.pk if previous else None, rolled_back=rolled_back, reason=reason,
                           change_id=f"{version.pk}:{timezone.now().timestamp()}")
    return version


def model_version_rollback(*, version: ModelVersion, by=None) -> ModelVersion:
    """Serve an earlier version again, in one action."""
    who = f" by {by}" if by else ""
    return model_version_make_active(version=version, reason=f"Rolled back to v{version.version}{who}.")
