"""Training over the API: launch and follow runs, export labels, and predictions from the active model."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAnnotator
from crowdlabel.pagination import StandardPagination
from tasks.models import Assignment, AssignmentState, Project

from . import predictions, services
from .admin import export_body
from .models import ModelVersion, Prediction, TrainingRun


class RunSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True)

    class Meta:
        model = TrainingRun
        fields = ["id", "project", "snapshot", "task", "base_model", "epochs", "learning_rate", "batch_size",
                  "max_length", "seed", "device", "status", "progress_step", "progress_total", "percent", "loss",
                  "metrics", "log", "created_at", "started_at", "finished_at"]


class LaunchSerializer(serializers.Serializer):
    epochs = serializers.IntegerField(min_value=1, max_value=100, default=3)
    learning_rate = serializers.FloatField(min_value=1e-7, max_value=1e-2, default=5e-5)
    batch_size = serializers.IntegerField(min_value=1, max_value=512, default=16)
    max_length = serializers.IntegerField(min_value=8, max_value=512, default=64)
    seed = serializers.IntegerField(min_value=0, default=13)
    device = serializers.ChoiceField(choices=["auto", "cpu", "cuda"], default="auto")
    base_model = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectRunsApi(APIView):
    pagination_class = StandardPagination

    @extend_schema(responses=RunSerializer(many=True))
    def get(self, request, pk):
        runs = TrainingRun.objects.filter(project=get_object_or_404(Project, pk=pk))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(RunSerializer(page, many=True).data)

    @extend_schema(request=LaunchSerializer, responses={201: RunSerializer})
    def post(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        data = LaunchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = services.training_run_launch(project=project, created_by=request.user, **data.validated_data)
        except services.TrainingError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(APIView):
    @extend_schema(responses=RunSerializer)
    def get(self, request, pk):
        return Response(RunSerializer(get_object_or_404(TrainingRun, pk=pk)).data)


class RunCancelApi(APIView):
    @extend_schema(request=None, responses=RunSerializer)
    def post(self, request, pk):
        return Response(RunSerializer(services.training_run_cancel(run=get_object_or_404(TrainingRun, pk=pk))).data)


class ModelActivateApi(APIView):
    @extend_schema(request=None, responses={200: serializers.DictField()})
    def post(self, request, pk):
        version = services.model_version_activate(version=get_object_or_404(ModelVersion, pk=pk))
        return Response({"id": version.pk, "project": version.project_id, "version": version.version, "is_active": True})


class PredictApi(APIView):
    """Texts in, labels (or spans) with scores out, from the project's active model (kept loaded)."""

    class InputSerializer(serializers.Serializer):
        texts = serializers.ListField(child=serializers.CharField(max_length=10_000, allow_blank=True),
                                      min_length=1, max_length=1000)

    @extend_schema(request=InputSerializer, responses={200: serializers.DictField()})
    def post(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = predictions.active_version(project)
        if version is None:
            return Response({"detail": "This project has no active model yet."}, status=status.HTTP_409_CONFLICT)
        results = predictions.texts_predict(version=version, texts=data.validated_data["texts"])
        return Response({"model_version": version.version, "predictions": results})


class ExportApi(APIView):
    """The project's accepted labels: ?export_format=jsonl|csv|conll (&mask=1 masks emails and phone numbers).
    (Not `format`: DRF reserves that parameter for choosing a renderer.)"""

    @extend_schema(parameters=[OpenApiParameter("export_format", str, enum=["jsonl", "csv", "conll"]),
                               OpenApiParameter("mask", bool)], responses={200: str})
    def get(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        try:
            body, content_type = export_body(project, request.query_params.get("export_format", "jsonl"),
                                             request.query_params.get("mask") in ("1", "true"))
        except ValueError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return HttpResponse(body, content_type=content_type)


class AssignmentSuggestionApi(APIView):
    """The active model's guess for the item you hold, where the project shows suggestions. A suggestion
    only: it never counts as a vote."""

    permission_classes = [IsAnnotator]

    @extend_schema(responses={200: serializers.DictField()})
    def get(self, request, pk):
        assignment = Assignment.objects.select_related("project", "item").filter(
            pk=pk, worker=request.user, state=AssignmentState.LIVE).first()
        if assignment is None:
            return Response({"detail": "Not a live assignment of yours."}, status=status.HTTP_404_NOT_FOUND)
        if not assignment.project.show_model_suggestions:
            return Response({"suggestion": None})
        prediction = (Prediction.objects.filter(item=assignment.item, model_version__is_active=True)
                      .values("label", "score").first())
        return Response({"suggestion": prediction})
