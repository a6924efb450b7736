"""Writes about projects: create, update and move through draft -> published -> paused -> closed."""

from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors as account_selectors

from . import schemas
from .models import Project, ProjectStatus

EDITABLE_FIELDS = {
    "title", "description", "instructions", "task_type", "label_schema", "item_fields", "difficulty",
    "deadline", "reward_amount", "reward_currency", "reward_scales_with_difficulty", "overlap",
    "max_overlap", "gold_share", "alpha", "accept_confidence", "adaptive_overlap", "early_stop_confidence", "verified_only", "min_seconds", "min_weight", "lease_minutes",
    "assignment_strategy", "item_order", "show_model_suggestions", "practice_required",
    "pool_group", "pool_qualification", "awards_qualification", "award_min_gold_checks", "award_min_gold_accuracy",
}
# The qualifications a project names (its pool's, the one it awards): its own organisation's only.
QUALIFICATION_FIELDS = ("pool_qualification", "awards_qualification")
# The bounds of a project's numbers (low, high; None: open). Forms and serializers check them field by field
# before anything is saved, so a person reads which field is wrong; the check constraints hold the same bounds
# as the last line of defence, and CONSTRAINT_MESSAGES says in words what each one means should one ever fire.
PROJECT_BOUNDS = {
    "overlap": (1, None), "max_overlap": (1, None), "difficulty": (1, 5), "gold_share": (0, 1), "alpha": (0, 1),
    "accept_confidence": (0, 1), "early_stop_confidence": (0, 1), "reward_amount": (Decimal(0), None),
    "lease_minutes": (1, None), "min_seconds": (0, None), "award_min_gold_accuracy": (0, 1),
}
CONSTRAINT_MESSAGES = {
    "tasks_project_overlap_gte_1": ("overlap", "The overlap must be at least 1."),
    "tasks_project_max_overlap_gte_overlap": ("max_overlap", "The maximum overlap must be at least the overlap."),
    "tasks_project_gold_share_0_1": ("gold_share", "The gold share must be between 0 and 1."),
    "tasks_project_alpha_0_1": ("alpha", "α must be between 0 and 1."),
    "tasks_project_confidences_0_1": (NON_FIELD_ERRORS, "The accept and early-stop confidences must be between 0 and 1."),
    "tasks_project_difficulty_1_5": ("difficulty", "The difficulty must be from 1 to 5."),
    "tasks_project_reward_gte_0": ("reward_amount", "The reward cannot be negative."),
    "tasks_project_lease_gte_1": ("lease_minutes", "The lease must be at least 1 minute."),
    "tasks_project_award_accuracy_0_1": ("award_min_gold_accuracy", "The award's gold accuracy must be between 0 and 1."),
}


def constraint_in_words(text: str) -> tuple[str, str] | None:
    """(field, message) for a database constraint named in `text` (a validation message or a database error)."""
    return next((words for name, words in CONSTRAINT_MESSAGES.items() if name in text), None)


def errors_in_words(error: ValidationError) -> ValidationError:
    """The same errors, with each message that names a constraint replaced by what it means, on its field."""
    errors: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items() if hasattr(error, "error_dict") else [(NON_FIELD_ERRORS,
                                                                                               error.messages)]:
        for message in messages:
            field_now, message = constraint_in_words(message) or (field, message)
            errors.setdefault(field_now, []).append(message)
    return ValidationError(errors)


def project_organisation_problems(*, organisation_id: int, fields: dict) -> dict:
    """{field: problem} for each qualification or pool group in `fields` that is not the project's
    organisation's: a pool open to another tenant's qualification would let that tenant's test decide who
    works here, and one naming another tenant's group would hand its members this project's items."""
    problems = {name: f"“{fields[name]}” is another organisation's qualification: a project names only its own "
                      "organisation's." for name in QUALIFICATION_FIELDS
                if getattr(fields.get(name), "organisation_id", organisation_id) != organisation_id}
    group = fields.get("pool_group")
    if group is not None and account_selectors.pool_group_organisation_id(group_id=group.pk) != organisation_id:
        problems["pool_group"] = (f"“{group}” is not one of this organisation's pool groups: a project's pool is "
                                  "a group of its own organisation (a superuser gives a group one on its page).")
    return problems


# Which status may follow which: a closed project stays closed.
TRANSITIONS = {
    ProjectStatus.PUBLISHED: {ProjectStatus.DRAFT, ProjectStatus.PAUSED},
    ProjectStatus.PAUSED: {ProjectStatus.PUBLISHED},
    ProjectStatus.CLOSED: {ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.PAUSED},
}


def _apply(project: Project, fields: dict) -> None:
    unknown = set(fields) - EDITABLE_FIELDS - {"required_skills"}
    if unknown:
        raise ValidationError({name: "This field cannot be set." for name in sorted(unknown)})
    problems = project_organisation_problems(organisation_id=project.organisation_id, fields=fields)
    if problems:
        raise ValidationError(problems)
    for name, value in fields.items():
        if name != "required_skills":
            setattr(project, name, value)
    try:
        project.label_schema = schemas.label_schema_clean(project.label_schema)
    except schemas.SchemaError as error:
        raise ValidationError({"label_schema": error.problems}) from error
    try:
        project.item_fields = schemas.item_fields_clean(project.item_fields)
    except schemas.SchemaError as error:
        raise ValidationError({"item_fields": error.problems}) from error
    project.reward_currency = (project.reward_currency or "").upper()
    try:
        project.full_clean(exclude=["required_skills"])
    except ValidationError as error:
        raise errors_in_words(error) from error


def _save(project: Project, fields: dict) -> Project:
    skills = fields.pop("required_skills", None)
    _apply(project, fields)
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError as error:  # a rule full_clean missed: say which, in words, never the constraint's name
        words = constraint_in_words(str(error))
        if words is None:
            raise
        raise ValidationError({words[0]: words[1]}) from error
    if skills is not None:
        project.required_skills.set(skills)
    return project


@transaction.atomic
def project_create(*, created_by=None, organisation=None, **fields) -> Project:
    """A new draft project, in `organisation` or else the creator's (accounts.selectors.organisation_for_new_project)."""
    organisation = organisation or account_selectors.organisation_for_new_project(user=created_by)
    if organisation is None:
        several = created_by is not None and created_by.memberships.exists()
        raise ValidationError({"organisation": "You belong to several organisations: name the project's one "
                               "(its slug)." if several else
                               "You are not a member of any organisation: ask an admin to add you to one."})
    return _save(Project(created_by=created_by, organisation=organisation), fields)


def project_update_problems(*, project: Project, fields: dict) -> dict:
    """What forbids this change: a closed project is frozen; once published with items, the task type and
    schema are fixed (items and answers were made against them: changing them would orphan them)."""
    if project.status == ProjectStatus.CLOSED:
        return {"__all__": "A closed project cannot be changed."}
    problems = {}
    if project.status != ProjectStatus.DRAFT and project.items.exists():
        for locked in ("task_type", "label_schema", "item_fields"):
            if locked in fields and fields[locked] != getattr(project, locked):
                problems[locked] = "Cannot change once the project has been published with items."
    return problems


@transaction.atomic
def project_update(*, project: Project, **fields) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    problems = project_update_problems(project=project, fields=fields)
    if problems:
        raise ValidationError(problems)
    return _save(project, fields)


def project_publish_problems(project: Project) -> list[str]:
    problems = schemas.publish_problems(
        task_type=project.task_type, label_names=project.label_names, item_count=project.items.count()
    )
    if project.items.exists() and not project.items.filter(is_gold=False).exists():
        # Gold items are checks mixed into the work, never work on their own: published, such a project tells
        # every annotator "no items left" before they have answered anything.
        problems.append("Every item is gold (a check with a known answer), so there is nothing to label: import "
                        "items with the gold column empty first.")
    if project.deadline and project.deadline <= timezone.now():
        problems.append(_deadline_passed(project) + " Move it or clear it first.")
    return problems


def _deadline_passed(project: Project) -> str:
    when = timezone.localtime(project.deadline).strftime("%Y-%m-%d %H:%M")
    return f"The deadline ({when}) has passed: a project hands out no work after its deadline."


def project_warnings(project: Project) -> list[str]:
    """What is allowed but probably not meant: said when the project is saved, so it is never silent."""
    warnings = []
    if project.deadline and project.deadline <= timezone.now():
        warnings.append(_deadline_passed(project))
    if not project.reward_amount:  # the field's default: easy to publish without noticing
        warnings.append(f"The reward is 0.00 {project.reward_currency}: annotators earn nothing for an accepted "
                        "answer. Set a reward unless the work is meant to be unpaid.")
    if hint := schemas.no_item_fields_hint(project.task_type, list(project.item_fields or [])):
        warnings.append(hint)
    return warnings


def project_publish_report(project: Project) -> str:
    """What publishing handed out, in a sentence."""
    items = project.items.count()
    gold = project.items.filter(is_gold=True).count()
    return (f"Published “{project}”: {items:,} item(s), {gold:,} of them gold, {len(project.label_names)} label(s), "
            f"{project.overlap} answer(s) wanted per item.")


@transaction.atomic
def project_set_status(*, project: Project, status: str) -> Project:
    """Move a project to a new status, refusing transitions that make no sense and publishing that
    would hand out nothing (no labels, no items)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if status == project.status:
        return project
    if project.status not in TRANSITIONS.get(status, set()):
        raise ValidationError(f"A {project.status} project cannot become {status}.")
    if status == ProjectStatus.PUBLISHED:
        problems = project_publish_problems(project)
        if problems:
            raise ValidationError("Cannot publish: " + " ".join(problems))
    project.status = status
    project.save(update_fields=["status", "updated_at"])
    return project


def project_publish(*, project: Project) -> Project:
    return project_set_status(project=project, status=ProjectStatus.PUBLISHED)


def project_pause(*, project: Project) -> Project:
    return project_set_status(project=project, status=ProjectStatus.PAUSED)


def project_close(*, project: Project) -> Project:
    return project_set_status(project=project, status=ProjectStatus.CLOSED)
