"""Annotations: one worker's answer to one item, made through one assignment."""

from django.conf import settings
from django.db import models

from tasks.models import Assignment, Item, Project


class Annotation(models.Model):
    # No single-column indexes on project, item and worker: the constraint and indexes below lead with
    # them, and every index costs a write on each answer.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annotations", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations", db_index=False)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotations", db_index=False
    )
    # One annotation per assignment: a retried submission finds the first one instead of adding a second.
    # RESTRICT: an assignment with an answer cannot be deleted alone, only together with its item or project.
    assignment = models.OneToOneField(Assignment, on_delete=models.RESTRICT, related_name="annotation")
    answer = models.JSONField(help_text="Canonical form: a label name, a sorted list of names, or spans.")
    is_gold = models.BooleanField(default=False)
    seconds_spent = models.FloatField(help_text="Measured on the server from the assignment's start.")
    superseded = models.BooleanField(
        default=False, help_text="Set when a reviewer sent the item back for fresh annotation: no longer counted."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "worker"], name="annotations_one_per_worker_and_item"),
            models.CheckConstraint(condition=models.Q(seconds_spent__gte=0), name="annotations_seconds_spent_gte_0"),
        ]
        indexes = [
            models.Index(fields=["project", "created_at"], name="annotations_project_time"),
            models.Index(fields=["worker", "created_at"], name="annotations_worker_time"),
        ]

    def __str__(self):
        return f"{self.worker_id} on {self.item_id}"
