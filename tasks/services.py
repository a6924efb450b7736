"""Writes about projects: create, update and move through draft -> published -> paused -> closed."""

from django.core.exceptions import ValidationError
from django.db import transaction

from . import schemas
from .models import Project, ProjectStatus

EDITABLE_FIELDS = {
    "title", "description", "instructions", "task_type", "label_schema", "item_fields", "difficulty",
    "deadline", "reward_amount", "reward_currency", "reward_scales_with_difficulty", "overlap",
    "max_overlap", "gold_share", "alpha", "accept_confidence", "adaptive_overlap", "early_stop_confidence", "verified_only", "min_seconds", "min_weight", "lease_minutes",
    "assignment_strategy", "item_order", "show_model_suggestions",
}
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
    for name, value in fields.items():
        if name != "required_skills":
            setattr(project, name, value)
    try:
        project.label_schema = schemas.label_schema_clean(project.label_schema)
    except schemas.SchemaError as error:
        raise ValidationError({"label_schema": str(error)}) from error
    if not isinstance(project.item_fields, list) or not all(isinstance(f, str) and f for f in project.item_fields):
        raise ValidationError({"item_fields": "A list of field names, e.g. [\"title\", \"description\"]."})
    project.reward_currency = (project.reward_currency or "").upper()
    project.full_clean(exclude=["required_skills"])


def _save(project: Project, fields: dict) -> Project:
    skills = fields.pop("required_skills", None)
    _apply(project, fields)
    project.save()
    if skills is not None:
        project.required_skills.set(skills)
    return project


@transaction.atomic
def project_create(*, created_by=None, **fields) -> Project:
    return _save(Project(created_by=created_by), fields)


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
    return schemas.publish_problems(
        task_type=project.task_type, label_names=project.label_names, item_count=project.items.count()
    )


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
