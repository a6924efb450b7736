"""Submission for annotators; reading annotations for integrators (never for annotators)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAnnotator
from accounts.selectors import worker_pseudonym
from core.pagination import PagedListApi
from core.parsers import BoundedJSONField
from tasks import assignment as assignment_service
from tasks.api_scoping import ScopedApi
from tasks.serializers import (
    AnnotatorAssignmentSerializer, PracticeTurnSerializer, annotator_assignment_data, practice_turn_data, retry_headers,
)
from tasks.models import Project

from . import selectors, services
from .models import Annotation

ERROR_STATUS = {
    "not_yours": status.HTTP_403_FORBIDDEN, "not_live": status.HTTP_409_CONFLICT, "expired": status.HTTP_409_CONFLICT,
    "not_last": status.HTTP_409_CONFLICT, "decided": status.HTTP_409_CONFLICT,
}
TOO_LATE = OpenApiResponse(description="Too late: the assignment is not live, its time ran out, its item was "
                                       "decided, or a newer answer exists.")


class SubmitApi(APIView):
    """Submit your answer for a live assignment: `{"answer": "Phone"}`, `{"answer": ["A", "B"]}` or
    `{"answer": [{"start": 0, "end": 5, "label": "brand"}]}` (span offsets count Unicode code points of the
    item's text, end exclusive: "📱" is one, not two UTF-16 units or four bytes). 201 with your next assignment (so the page
    never waits), or `next: null` with the reason and, when work may come in a moment, `retry_after`
    seconds (also a Retry-After header); 200 with the first annotation when this is a retry; 400 for a
    malformed answer; 409 for an expired or finished assignment; 403 for someone else's, or with the reason
    when your account is suspended (suspension ends your assignments). Nothing is stored on an error."""

    permission_classes = [IsAnnotator]

    class SubmitInputSerializer(serializers.Serializer):
        answer = BoundedJSONField()
        next = serializers.BooleanField(default=True, help_text="Also claim and return the next item.")

    SUBMITTED = inline_serializer("Submitted", {
        "annotation_id": serializers.IntegerField(), "created": serializers.BooleanField(),
        "next": AnnotatorAssignmentSerializer(allow_null=True), "reason": serializers.CharField(),
        "retry_after": serializers.IntegerField(allow_null=True), "practice": PracticeTurnSerializer,
    })

    @extend_schema(request=SubmitInputSerializer, responses={201: SUBMITTED, 200: SUBMITTED, 409: TOO_LATE})
    def post(self, request, pk):
        data = self.SubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            submitted = services.annotation_submit(worker=request.user, assignment_id=pk, answer=data.validated_data["answer"])
        except services.SchemaError as error:
            return Response({"detail": str(error), "code": "invalid_answer"}, status=status.HTTP_400_BAD_REQUEST)
        except services.AssignmentError as error:
            return Response({"detail": str(error), "code": error.code}, status=ERROR_STATUS[error.code])
        except assignment_service.NotEligible as refusal:
            return Response({"detail": str(refusal), "code": "not_eligible"}, status=status.HTTP_403_FORBIDDEN)
        body = {
            "annotation_id": submitted.annotation.pk, "created": submitted.created, "next": None, "reason": "",
            "retry_after": None, "practice": None,
        }
        if data.validated_data["next"]:
            body.update(_next_for(request.user, submitted.annotation.project))
        return Response(
            body, status=status.HTTP_201_CREATED if submitted.created else status.HTTP_200_OK,
            headers=retry_headers(body["retry_after"]),
        )


def _next_for(worker, project) -> dict:
    try:
        result = assignment_service.assignment_next(
            worker=worker, project=project, profile=getattr(worker, "worker_profile", None)
        )
    except assignment_service.NotEligible as refusal:
        return {"next": None, "reason": str(refusal), "retry_after": None, "practice": None}
    return {
        "next": annotator_assignment_data(result.assignment) if result.assignment else None,
        "reason": result.reason,
        "retry_after": result.retry_after,
        "practice": practice_turn_data(result.practice) if result.practice else None,
    }


class UndoApi(APIView):
    """Take back your last answer in a project while its time runs and its item is undecided: the
    assignment is live again (with your withdrawn answer, to start from) and the item you were given
    next goes back. 403 for someone else's assignment or when you may no longer work on the project;
    409 when it is too late (time ran out, the item was decided, a newer answer exists)."""

    permission_classes = [IsAnnotator]

    @extend_schema(request=None, responses={200: inline_serializer("Undone", {
        "assignment": AnnotatorAssignmentSerializer(), "answer": serializers.JSONField(),
    }), 409: TOO_LATE})
    def post(self, request, pk):
        try:
            undone = services.annotation_undo(worker=request.user, assignment_id=pk)
        except assignment_service.NotEligible as refusal:
            if not refusal.visible:
                raise NotFound() from refusal
            return Response({"detail": str(refusal), "code": "not_eligible"}, status=status.HTTP_403_FORBIDDEN)
        except services.AssignmentError as error:
            return Response({"detail": str(error), "code": error.code}, status=ERROR_STATUS[error.code])
        return Response({"assignment": annotator_assignment_data(undone.assignment), "answer": undone.answer})


class ItemsLeftApi(APIView):
    """About how many items are left for you in this project (counted up to 1000); 403 with the reason
    when you may not work on it."""

    permission_classes = [IsAnnotator]

    @extend_schema(responses={200: inline_serializer("ItemsLeft", {
        "left": serializers.IntegerField(), "capped": serializers.BooleanField(),
    })})
    def get(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        eligibility = assignment_service.worker_eligibility(worker=request.user, project=project)
        if not eligibility.visible:
            raise NotFound()
        if eligibility.problem:
            return Response({"detail": eligibility.problem, "code": "not_eligible"}, status=status.HTTP_403_FORBIDDEN)
        left = selectors.items_left_for(worker=request.user, project=project)
        return Response({"left": left, "capped": left >= selectors.ITEMS_LEFT_CAP})


class AnnotationOutputSerializer(serializers.ModelSerializer):
    item_external_id = serializers.CharField(source="item.external_id")
    worker = serializers.SerializerMethodField(help_text="The worker's pseudonym (the one exports use).")

    class Meta:
        model = Annotation
        fields = ["id", "item", "item_external_id", "worker", "answer", "is_gold", "seconds_spent", "created_at"]

    def get_worker(self, annotation) -> str:
        return worker_pseudonym(annotation.worker_id)


class ProjectAnnotationsApi(PagedListApi, ScopedApi, APIView):
    """Integrators and admins: a project's annotations, optionally for one item."""


    @extend_schema(responses=AnnotationOutputSerializer(many=True), parameters=[OpenApiParameter("item", int)])
    def get(self, request, pk):
        project = self.project_get(pk)
        rows = Annotation.objects.filter(project=project).select_related("item").order_by("pk")
        if request.query_params.get("item", "").isdigit():
            rows = rows.filter(item_id=int(request.query_params["item"]))
        return self.page_response(rows, AnnotationOutputSerializer)
