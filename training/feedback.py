"""Feedback from the live system: batches of events about predictions, validated and stored idempotently
(the caller's event id, unique per project), then turned into work for the crowd by the project's rules."""

import re
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import (AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo,
                      field_validator, model_validator)

from core import rawsql as db
from core.textcheck import json_kind, text_problem
from quality import services as quality_services
from quality.models import CorrectionSource
from tasks import transitions
from tasks.feedback_intake import items_create_from_feedback
from tasks.importing.rows import data_content_hash
from tasks.models import Item, ItemState, Project

from . import signals, snapshots
from .models import FeedbackActor, FeedbackEvent, FeedbackOutcome, FeedbackPolicy, ModelVersion

OUTCOMES = {label: value for value, label in FeedbackOutcome.choices}
ACTORS = {label: value for value, label in FeedbackActor.choices}

# An event's time may run ahead of ours by the clocks' usual drift, no more: later is a wrong clock or a wrong zone.
CLOCK_SKEW = timedelta(minutes=5)
# A year of history may be sent at once (an integrator backfilling its logs). Older than that, an event is about a
# catalogue and a model long gone, and is far more often a mistake that would be stored without a word: epoch 0,
# 0001-01-01, milliseconds read as seconds, a mistyped year.
MAX_AGE = timedelta(days=365)
EVENT_ID_MAX = 100  # FeedbackEvent.event_id's column
TIME_EXAMPLE = "must be an ISO 8601 date and time with its zone, e.g. 2026-12-01T09:30:00Z"


class FeedbackIn(BaseModel):
    """One event as the integrator sends it."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)

    event_id: str = Field(min_length=1, max_length=EVENT_ID_MAX)
    model_version: int | None = Field(default=None, ge=1, description="The version number that predicted.")
    item: str | None = Field(default=None, max_length=255, description="The item's external id, if it is one.")
    text: str = Field(default="", description="The input text, when it is not an item of the project.")
    predicted_label: str = Field(min_length=1, max_length=200)
    confidence: float | None = None
    outcome: Literal["clicked", "bought", "ignored", "reported_wrong", "corrected"]
    corrected_label: str | None = Field(default=None, max_length=200)
    actor: Literal["shopper", "merchant", "operator"] = "shopper"
    occurred_at: AwareDatetime

    @field_validator("event_id", "item", "text", "predicted_label", "corrected_label", mode="before")
    @classmethod
    def _storable(cls, value):
        """NUL and lone surrogates refused here, per event and field (the view's parser leaves them to us); before
        pydantic's own string check, whose word for a lone surrogate is "unable to parse raw data"."""
        problem = isinstance(value, str) and text_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("event_id")
    @classmethod
    def _identifier(cls, value):
        """An id that reads as one: printable, with no space at its ends (" e1" and "e1" would be two events)."""
        if not value.strip():
            raise ValueError("must not be blank")
        if value != value.strip():
            raise ValueError("begins or ends with whitespace")
        if not value.isprintable():  # control characters, line breaks, other spaces than " "
            raise ValueError("has a character that does not print (a control character, a line break or a tab)")
        return value

    @field_validator("confidence", mode="before")
    @classmethod
    def _probability(cls, value):
        """A JSON number from 0 to 1. Not "0.5" (a string is a client sending the wrong type, and would be taken
        silently), not true (which Python counts as 1), not NaN or infinity (1e999 parses as infinity): neither
        compares within [0, 1]."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number from 0 to 1, not {json_kind(value)}")
        if not 0 <= value <= 1:
            raise ValueError(f"must be a number from 0 to 1, not {value}")
        return value

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _timestamp_text(cls, value):
        """An ISO 8601 string (or a datetime, from Python): a number would be read as seconds or milliseconds since
        1970, whichever fits."""
        if not isinstance(value, str | datetime):
            raise ValueError(f"{TIME_EXAMPLE}, not {json_kind(value)}")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, value, info: ValidationInfo):
        window = (info.context or {}).get("window") or occurred_window()
        if value > window.latest:
            raise ValueError(f"is in the future: more than {CLOCK_SKEW.total_seconds() / 60:g} minutes after the "
                             f"server's clock ({window.now:%Y-%m-%dT%H:%M:%SZ})")
        if value < window.earliest:
            raise ValueError(f"is more than {MAX_AGE.days} days ago")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if self.outcome == "corrected" and not self.corrected_label:
            raise ValueError("corrected_label: a correction needs the corrected label")
        if not self.item and not self.text:
            raise ValueError("text: give the input text or the item's external id")
        return self


BATCH = TypeAdapter(list[FeedbackIn])


class OccurredWindow(NamedTuple):
    now: datetime
    earliest: datetime
    latest: datetime


def occurred_window() -> OccurredWindow:
    """When an event may have happened, from one reading of the clock: every event of a batch is judged against
    the same window (FeedbackIn's validation context, {"window": ...})."""
    now = timezone.now()
    return OccurredWindow(now, now - MAX_AGE, now + CLOCK_SKEW)


class FeedbackInvalid(Exception):
    """[{index, field, message}] for each problem, so the caller can find the event."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} invalid event(s)")
        self.errors = errors


REQUIRED_FIELDS = [name for name, spec in FeedbackIn.model_fields.items() if spec.is_required()]


def _problems(error: ValidationError, index: int) -> list[dict]:
    """The problems of the event at `index`, validated alone."""
    found = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or None
        message = _message(problem)
        if field is None and ": " in message:  # the cross-field checks name their field first
            field, message = message.split(": ", 1)
        found.append({"index": index, "field": field, "message": message})
    return found


def _message(problem: dict) -> str:
    """pydantic's problem in this API's words, by its error type: what to send, after the field's name. pydantic's
    own words name its classes ("instance of FeedbackIn") and its checks ("Input should have timezone info" for a
    date without a time), so none of them reach the caller; our validators' ValueErrors are ours already."""
    kind, ctx, sent = problem["type"], problem.get("ctx") or {}, problem.get("input")
    if kind == "value_error":
        return problem["msg"].removeprefix("Value error, ")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"each event must be an object with {', '.join(REQUIRED_FIELDS)}, not {json_kind(sent)}"
    if kind in ("timezone_aware", "datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        date_alone = isinstance(sent, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", sent)
        why = ("not a date alone" if date_alone else "not a time without its zone" if kind == "timezone_aware"
               else f"not {sent!r}" if isinstance(sent, str) else f"not {json_kind(sent)}")
        return f"{TIME_EXAMPLE}, {why}"
    return _PLAIN.get(kind, "is not valid here (see /api/docs/ for what to send)").format(
        **ctx, kind=json_kind(sent), sent=sent)


# The rest of the types an event's fields can fail with (FeedbackIn's min_length is 1 wherever it is set).
_PLAIN = {
    "missing": "is missing: every event needs it",
    "extra_forbidden": f"is not a field of an event (they are: {', '.join(FeedbackIn.model_fields)})",
    "string_type": "must be a string, not {kind}",
    "string_too_short": "must not be blank",
    "string_too_long": "must have at most {max_length} characters",
    "literal_error": "must be one of {expected}",
    "int_type": "must be a whole number, not {kind}",
    "int_parsing": "must be a whole number, not {kind}",
    "int_from_float": "must be a whole number, not {sent}",
    "greater_than_equal": "must be {ge} or more",
}


# What a stored event holds, in the order feedback_validate gives each row's values (core.rawsql.insert_many).
EVENT_FIELDS = ["event_id", "model_version", "item", "text", "predicted_label", "confidence", "outcome",
                "corrected_label", "actor", "occurred_at"]


def feedback_validate(*, project: Project, events: list) -> list[tuple]:
    """The batch's rows (the values of EVENT_FIELDS, ready for the database), or FeedbackInvalid naming each bad
    event by index and field: its shape, its labels (the project's), its model version and item (the
    project's)."""
    if not isinstance(events, list) or not 1 <= len(events) <= settings.FEEDBACK_MAX_BATCH:
        raise FeedbackInvalid([{"index": None, "field": "events",
                                "message": f"a list of 1 to {settings.FEEDBACK_MAX_BATCH} events"}])
    context = {"window": occurred_window()}
    try:
        parsed = BATCH.validate_python(events, context=context)
    except ValidationError:
        raise FeedbackInvalid(_every_problem(project, events, context)) from None
    versions, items, labels = _references_known(project, parsed)
    occurred = db.datetimes(event.occurred_at for event in parsed)  # every one with its zone (FeedbackIn)
    problems, rows = [], []
    for index, (event, occurred_at) in enumerate(zip(parsed, occurred)):
        problems += _references(index, event, versions, items, labels)
        rows.append((event.event_id, versions.get(event.model_version), items.get(event.item),
                     "" if event.item else event.text, event.predicted_label, event.confidence,
                     OUTCOMES[event.outcome], event.corrected_label or "", ACTORS[event.actor], occurred_at))
    if problems:
        raise FeedbackInvalid(problems)
    return rows


def _every_problem(project: Project, events: list, context: dict) -> list[dict]:
    """A batch that failed validation, each event validated alone: every event's shape problems, and the
    reference problems of the events whose shape is right, so one answer lists all that must be fixed."""
    problems, valid = [], {}
    for index, raw in enumerate(events):
        try:
            valid[index] = FeedbackIn.model_validate(raw, context=context)
        except ValidationError as error:
            problems += _problems(error, index)
    versions, items, labels = _references_known(project, valid.values())
    for index, event in valid.items():
        problems += _references(index, event, versions, items, labels)
    return sorted(problems, key=lambda problem: problem["index"])


def _references_known(project: Project, events) -> tuple[dict, dict, set]:
    """The project's model versions and items that the events name ({number: pk}, {external id: pk}) and its
    labels."""
    events = list(events)
    versions = dict(ModelVersion.objects.filter(project=project, version__in={e.model_version for e in events})
                    .values_list("version", "pk"))
    items = dict(Item.objects.filter(project=project, external_id__in={e.item for e in events if e.item})
                 .values_list("external_id", "pk"))
    return versions, items, set(project.label_names)


def _references(index, event, versions, items, labels) -> list[dict]:
    problems = []
    if event.model_version is not None and event.model_version not in versions:
        problems.append({"index": index, "field": "model_version", "message": "no such model version in this project"})
    if event.item and event.item not in items:
        problems.append({"index": index, "field": "item", "message": "no item with this external id in this project"})
    for field in ("predicted_label", "corrected_label"):
        value = getattr(event, field)
        if value and labels and value not in labels:
            problems.append({"index": index, "field": field, "message": f"not a label of this project: {value!r}"})
    return problems


def feedback_store(*, project: Project, events: list) -> dict:
    """Validate and store a batch; an event id already stored (a replayed batch), or repeated inside the batch,
    is skipped, never doubled: the unique constraint decides, in the one INSERT, so two replays racing still
    store each event once and the counts are what that INSERT did (the first of the batch's repeats is kept)."""
    rows = feedback_validate(project=project, events=events)
    stored = db.insert_many(FeedbackEvent, EVENT_FIELDS, rows, skip_conflicts_on=("project", "event_id"),
                            constants={"project": project.pk, "received_at": db.datetime(timezone.now()),
                                       "processed": False})
    return {"received": len(rows), "stored": stored, "duplicates": len(rows) - stored}


# --- Feedback into work (periodic: training.feedback_to_items) --------------------------------------

PASS_SIZE = 20_000  # events looked at per project and pass


def feedback_policy(project: Project) -> FeedbackPolicy:
    """The project's rules, or the defaults (unsaved) where nobody set any."""
    return FeedbackPolicy.objects.filter(project=project).first() or FeedbackPolicy(project=project)


def disagreeing(events: list[FeedbackEvent], policy: FeedbackPolicy) -> list[FeedbackEvent]:
    """The events the rules pick, one per input: reported wrong or corrected, below the confidence floor, or
    (implicit signals) a prediction shown at least `min_signals` times and ignored more often than taken."""
    picked = {}
    signals: dict[tuple, list[FeedbackEvent]] = {}
    for event in events:
        key = (event.item_id, event.text, event.predicted_label)
        explicit = ((policy.take_reported_wrong and event.outcome == FeedbackOutcome.REPORTED_WRONG)
                    or (policy.take_corrected and event.outcome == FeedbackOutcome.CORRECTED))
        unsure = event.confidence is not None and event.confidence < policy.low_confidence_below
        if explicit or unsure:
            picked.setdefault(key, event)
        elif event.outcome in (FeedbackOutcome.CLICKED, FeedbackOutcome.BOUGHT, FeedbackOutcome.IGNORED):
            signals.setdefault(key, []).append(event)
    if policy.take_implicit_disagreement:
        for key, shown in signals.items():
            ignored = sum(event.outcome == FeedbackOutcome.IGNORED for event in shown)
            if len(shown) >= policy.min_signals and ignored > len(shown) - ignored:
                picked.setdefault(key, shown[0])
    return list(picked.values())


def feedback_to_items(*, project: Project) -> dict:
    """One pass over the project's unprocessed feedback: what the rules pick becomes new items for the crowd
    (text masked, deduplicated by content, first in line), or sends an accepted item it names back to a
    reviewer; a merchant's or an operator's correction also becomes one more answer to its item (never the
    truth: quality weighs it). Every event looked at is marked processed, so none is looked at twice."""
    policy = feedback_policy(project)
    events = list(FeedbackEvent.objects.filter(project=project, processed=False).order_by("pk")[:PASS_SIZE])
    if not events:
        return {"events": 0, "items": 0, "to_review": 0, "answers": 0}
    picked = disagreeing(events, policy) if policy.enabled else []
    field = (project.item_fields or ["text"])[0]
    with transaction.atomic():
        new_items = items_create_from_feedback(project=project, records=[
            _item_data(event, field) for event in picked if not event.item_id])
        to_review = transitions.items_send_to_review(
            item_ids={event.item_id for event in picked if event.item_id}, source=ItemState.ACCEPTED)
        counted = policy.enabled and policy.corrections_as_answers
        answers = _corrections_as_answers(project, events, field) if counted else 0
        FeedbackEvent.objects.filter(pk__in=[event.pk for event in events]).update(processed=True)
        if new_items:
            signals.send_on_commit(signals.feedback_items_created, project_id=project.pk, item_ids=new_items)
    return {"events": len(events), "items": len(new_items), "to_review": to_review, "answers": answers}


def _item_data(event: FeedbackEvent, field: str) -> dict:
    """What an item made from the event holds: its text, personal data masked."""
    return {field: snapshots.mask_personal_data(event.text)}


CORRECTING_ACTORS = {FeedbackActor.MERCHANT: CorrectionSource.MERCHANT,
                     FeedbackActor.OPERATOR: CorrectionSource.OPERATOR}


def _corrections_as_answers(project: Project, events: list[FeedbackEvent], field: str) -> int:
    """A merchant's or an operator's correction becomes one more answer (quality weighs it) to the item it is
    about: the item it names, or the item with its (masked) text, made by this pass or an earlier one. A
    shopper's correction stays a signal: anyone can send one. Corrections with no such item are left out."""
    corrections = [event for event in events
                   if event.outcome == FeedbackOutcome.CORRECTED and event.actor in CORRECTING_ACTORS]
    if not corrections:
        return 0
    hashes = {event.pk: data_content_hash(_item_data(event, field)) for event in corrections if not event.item_id}
    by_content = dict(Item.objects.filter(project=project, content_hash__in=set(hashes.values()))
                      .values_list("content_hash", "pk"))
    answers = [(event.item_id or by_content.get(hashes.get(event.pk)), CORRECTING_ACTORS[event.actor],
                event.corrected_label) for event in corrections]  # in event order: the latest wins
    return quality_services.correction_answers_record(
        project=project, corrections=[answer for answer in answers if answer[0]])


def feedback_to_items_all() -> dict:
    """Every project with unprocessed feedback, one pass each (the periodic job)."""
    project_ids = FeedbackEvent.objects.filter(processed=False).values_list("project_id", flat=True).distinct()
    return {project.pk: feedback_to_items(project=project) for project in Project.objects.filter(pk__in=project_ids)}
