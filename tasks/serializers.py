"""What the annotator APIs (tasks' and annotations') send about assignments and practice turns: shared
shapes live here, so no API module imports another's."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from . import practice
from .models import Assignment, Item


class AnnotatorItemSerializer(serializers.ModelSerializer):
    """What an annotator sees of an item: never the gold answer, whether it is gold, or its external id."""

    media = serializers.CharField(source="media_url", allow_null=True, read_only=True,
                                  help_text="Where the uploaded image or audio is served to the holder of the assignment.")

    class Meta:
        model = Item
        fields = ["id", "data", "media"]


class AnnotatorAssignmentSerializer(serializers.ModelSerializer):
    item = AnnotatorItemSerializer()

    class Meta:
        model = Assignment
        fields = ["id", "project", "item", "state", "started_at", "expires_at"]


def annotator_assignment_data(assignment) -> dict:
    """AnnotatorAssignmentSerializer's output, written out: this answers every "next" request, and the
    serializer's field machinery cost more than the rest of the response (a test keeps the two equal)."""
    item = assignment.item
    return {
        "id": assignment.pk,
        "project": assignment.project_id,
        "item": {"id": item.pk, "data": item.data, "media": item.media_url()},
        "state": assignment.state,
        "started_at": _iso(assignment.started_at),
        "expires_at": _iso(assignment.expires_at),
    }


def _iso(value) -> str | None:
    return serializers.DateTimeField().to_representation(value) if value else None


def retry_headers(retry_after: int | None) -> dict:
    """Retry-After for a request for work that got none for now, so that any HTTP client knows when to ask
    again (the JSON's `retry_after` says the same to the page)."""
    return {"Retry-After": str(retry_after)} if retry_after else {}


def practice_turn_data(turn: practice.PracticeTurn) -> dict:
    """A practice item as the worker sees it before answering: its fields and where they are in the
    round, never its answer or explanation (those come with the feedback)."""
    return {
        "id": turn.item.pk,
        "project": turn.item.project_id,
        "item": {"id": turn.item.pk, "data": turn.item.data, "media": None},
        "answered": turn.answered,
        "required": turn.required,
    }


PracticeTurnSerializer = inline_serializer("PracticeTurn", {
    "id": serializers.IntegerField(), "project": serializers.IntegerField(), "item": serializers.JSONField(),
    "answered": serializers.IntegerField(), "required": serializers.IntegerField(),
}, allow_null=True)
