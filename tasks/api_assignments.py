"""Assignment endpoints. Annotators: next item, skip, release. Integrators and admins: live assignments
per project, and pushing a batch of items to the workers by weight."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAnnotator
from accounts.selectors import worker_pseudonym
from core.pagination import PagedListApi

from . import assignment as assignment_service
from .api_scoping import ScopedApi
from .serializers import (
    AnnotatorAssignmentSerializer, PracticeTurnSerializer, annotator_assignment_data, practice_turn_data, retry_headers,
)
from .models import Assignment, AssignmentState


class NextItemSerializer(serializers.Serializer):
    assignment = AnnotatorAssignmentSerializer(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    retry_after = serializers.IntegerField(allow_null=True)
    practice = PracticeTurnSerializer


def refusal_error(refusal):
    """A refused worker learns why, unless the project is invisible to them: then it does not exist (404)."""
    return PermissionDenied(str(refusal)) if refusal.visible else NotFound()


def _next_response(result) -> Response:
    return Response(
        {
            "assignment": annotator_assignment_data(result.assignment) if result.assignment else None,
            "reason": result.reason,
            "retry_after": result.retry_after,
            "practice": practice_turn_data(result.practice) if result.practice else None,
        },
        headers=retry_headers(result.retry_after),
    )


class NextInProjectApi(APIView):
    """Your next item in this project: the one you hold if its lease is still running, else a new one.
    403 with the reason when you may not work on the project; `assignment: null` and a `practice` item
    while the project's practice round is not done (answer it at /api/practice/{id}/answer/);
    `assignment: null` with a reason when there is nothing for you right now, and, when there may be in a moment (others have priority on the last
    items), `retry_after` seconds and the same in a Retry-After header."""

    permission_classes = [IsAnnotator]

    @extend_schema(request=None, responses=NextItemSerializer)
    def post(self, request, pk):
        project = assignment_service.project_or_none(pk)
        if project is None:
            raise NotFound()
        try:
            result = assignment_service.assignment_next(
                worker=request.user, project=project, profile=getattr(request.user, "worker_profile", None)
            )
        except assignment_service.NotEligible as refusal:
            raise refusal_error(refusal) from refusal
        return _next_response(result)


class NextAnyProjectApi(APIView):
    """Your next item across every project open to you (best paid first)."""

    permission_classes = [IsAnnotator]

    @extend_schema(request=None, responses=NextItemSerializer)
    def post(self, request):
        return _next_response(assignment_service.assignment_next_any(worker=request.user))


class AssignmentActionApi(APIView):
    """POST /api/assignments/{id}/skip/ or /release/ on your own live assignment."""

    permission_classes = [IsAnnotator]
    action = None
    ACTIONS = {"skip": assignment_service.assignment_skip, "release": assignment_service.assignment_release}

    @extend_schema(request=None, responses={200: AnnotatorAssignmentSerializer, 409: OpenApiResponse(
        description="Not a live assignment of yours: no such one, someone else's, finished or timed out.")})
    def post(self, request, pk):
        try:
            assignment = self.ACTIONS[self.action](assignment_id=pk, worker=request.user)
        except assignment_service.AssignmentError as error:
            return Response({"detail": str(error), "code": error.code}, status=status.HTTP_409_CONFLICT)
        return Response(annotator_assignment_data(assignment))


class ProjectAssignmentSerializer(serializers.ModelSerializer):
    worker = serializers.SerializerMethodField(help_text="The worker's pseudonym (the one exports use).")
    item_external_id = serializers.CharField(source="item.external_id")

    class Meta:
        model = Assignment
        fields = ["id", "item", "item_external_id", "worker", "state", "is_gold", "pushed", "started_at", "expires_at", "finished_at"]

    def get_worker(self, assignment) -> str:
        return worker_pseudonym(assignment.worker_id)


class ProjectAssignmentsApi(PagedListApi, ScopedApi, APIView):
    """Integrators and admins: a project's assignments, live ones by default."""


    @extend_schema(
        responses=ProjectAssignmentSerializer(many=True),
        parameters=[OpenApiParameter("state", str, enum=AssignmentState.values)],
    )
    def get(self, request, pk):
        project = self.project_get(pk)
        state = request.query_params.get("state", AssignmentState.LIVE)
        rows = Assignment.objects.filter(project=project, state=state).select_related("item").order_by("pk")
        return self.page_response(rows, ProjectAssignmentSerializer)


class PushBatchApi(ScopedApi, APIView):
    """Integrators and admins: distribute `count` free items among the eligible workers by T_i."""

    class PushBatchInputSerializer(serializers.Serializer):
        count = serializers.IntegerField(min_value=1, max_value=100_000)

    @extend_schema(request=PushBatchInputSerializer, responses={200: inline_serializer("PushedBatch", {
        "pushed": serializers.DictField(child=serializers.IntegerField(), help_text="Items pushed, by worker pseudonym."),
        "total": serializers.IntegerField(),
    })})
    def post(self, request, pk):
        project = self.project_get(pk)
        data = self.PushBatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pushed = assignment_service.assignment_push_batch(project=project, count=data.validated_data["count"])
        return Response({"pushed": {worker_pseudonym(worker): n for worker, n in pushed.items()},
                         "total": sum(pushed.values())})
