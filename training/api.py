"""Training over the API: launch and follow runs, export labels, and predictions from the active model."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAnnotator
from core.pagination import PagedListApi
from core.parsers import JSONParserTextCheckedByView, StrictTextField
from tasks.api_scoping import ScopedApi
from tasks.models import Assignment, AssignmentState

from . import downloads, predictions, selectors, services, snapshots
from . import hyperparameters as hp
from .ml.serving import BACKENDS
from .models import BaseModel, ModelVersion, PreannotationJob, Prediction, TrainingRun


class PreannotationJobSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True)

    class Meta:
        model = PreannotationJob
        fields = ["id", "state", "done", "total", "percent", "error", "created_at", "started_at", "finished_at"]


class ModelVersionSerializer(serializers.ModelSerializer):
    headline = serializers.SerializerMethodField(help_text="The figure a version is judged by: macro-F1 for "
                                                 "label models, entity F1 for span models; test split, else validation.")
    preannotation = serializers.SerializerMethodField(help_text="The latest pre-annotation of the project by this "
                                                      "version (an admin action): its state and progress; null if none.")

    class Meta:
        model = ModelVersion
        fields = ["id", "project", "version", "run", "task", "is_active", "headline", "metrics", "preannotation",
                  "created_at"]

    @extend_schema_field(PreannotationJobSerializer(allow_null=True))
    def get_preannotation(self, version):
        latest = next(iter(version.preannotation_jobs.all()), None)  # prefetched by the views, newest first
        return PreannotationJobSerializer(latest).data if latest else None

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_headline(self, version):
        figure = selectors.headline(version.task, version.metrics)
        return figure.as_dict() if figure else None


class RunSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True)
    model_version = serializers.SerializerMethodField(help_text="The version this run produced (null until it succeeds).")
    base_model = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = TrainingRun
        fields = ["id", "project", "snapshot", "task", "base_model", "epochs", "learning_rate", "batch_size",
                  "max_length", "seed", "device", "device_used", "precision", "precision_used", "processes",
                  "gradient_accumulation", "checkpoint_steps", "early_stopping_patience", "status", "progress_step",
                  "progress_total", "percent", "loss", "metrics", "model_version", "log", "created_at", "started_at",
                  "finished_at"]
        # what the run's processes resolved "auto" to when they started: empty before
        read_only_fields = ["device_used", "precision_used"]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_model_version(self, run):
        version = getattr(run, "model_version", None)  # the reverse one-to-one raises when there is none
        return {"id": version.pk, "version": version.version} if version else None


class LaunchSerializer(serializers.Serializer):
    epochs = serializers.IntegerField(**hp.EPOCHS.bounds(), default=hp.EPOCHS.default)
    learning_rate = serializers.FloatField(**hp.LEARNING_RATE.bounds(), default=hp.LEARNING_RATE.default)
    batch_size = serializers.IntegerField(**hp.BATCH_SIZE.bounds(), default=hp.BATCH_SIZE.default)
    max_length = serializers.IntegerField(**hp.MAX_LENGTH.bounds(), default=hp.MAX_LENGTH.default)
    seed = serializers.IntegerField(**hp.SEED.bounds(), default=hp.SEED.default)
    device = serializers.ChoiceField(choices=list(hp.DEVICES), default=hp.DEVICE_DEFAULT)
    base_model = serializers.SlugRelatedField(slug_field="name", queryset=BaseModel.objects.all(), required=False,
                                              allow_null=True, default=None, help_text="A registered base model's name.")
    precision = serializers.ChoiceField(choices=["auto", "fp32", "bf16", "fp16"], default="auto")
    processes = serializers.IntegerField(min_value=1, max_value=64, default=1)
    gradient_accumulation = serializers.IntegerField(min_value=1, max_value=256, default=1)
    checkpoint_steps = serializers.IntegerField(min_value=0, default=0)
    early_stopping_patience = serializers.IntegerField(min_value=0, max_value=100, default=0)


class ProjectRunsApi(PagedListApi, ScopedApi, APIView):
    """The project's fine-tuning runs, newest first, or a new run (POST): it trains on the accepted labels in the
    background; follow it at /api/training-runs/{id}/."""

    @extend_schema(responses=RunSerializer(many=True))
    def get(self, request, pk):
        runs = TrainingRun.objects.filter(project=self.project_get(pk)).select_related("model_version", "base_model")
        return self.page_response(runs, RunSerializer)

    @extend_schema(request=LaunchSerializer, responses={201: RunSerializer})
    def post(self, request, pk):
        project = self.project_get(pk)
        data = LaunchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = services.training_run_launch(project=project, created_by=request.user, **data.validated_data)
        except services.TrainingError as error:
            return Response({"detail": str(error), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunDetailApi(ScopedApi, APIView):
    """One fine-tuning run: its status, progress, settings (and the device and precision used), figures and the
    model version it produced."""

    @extend_schema(responses=RunSerializer)
    def get(self, request, pk):
        return Response(RunSerializer(self.scoped_get(TrainingRun.objects.select_related("model_version", "base_model"), pk)).data)


class RunCancelApi(ScopedApi, APIView):
    """Cancel a run: a queued one at once, a training one at its next step; a run past its last step ends as it is."""

    @extend_schema(request=None, responses=RunSerializer)
    def post(self, request, pk):
        return Response(RunSerializer(services.training_run_cancel(run=self.scoped_get(TrainingRun.objects, pk))).data)


class ProjectModelVersionsApi(PagedListApi, ScopedApi, APIView):
    """The project's model versions, newest first, with their figures. Read-only."""


    @extend_schema(responses=ModelVersionSerializer(many=True))
    def get(self, request, pk):
        versions = ModelVersion.objects.filter(project=self.project_get(pk)).prefetch_related("preannotation_jobs")
        return self.page_response(versions, ModelVersionSerializer)


class ModelVersionDetailApi(ScopedApi, APIView):
    """One model version: its figures on the held-out evaluation set, whether it is the one /predict/ serves, and its
    pre-annotation progress."""

    @extend_schema(responses=ModelVersionSerializer)
    def get(self, request, pk):
        return Response(ModelVersionSerializer(self.scoped_get(ModelVersion.objects, pk)).data)


class ModelActivateApi(ScopedApi, APIView):
    """Make a version the one /predict/ serves. A version whose headline figure is lower than the active
    one's, or below the floor, is refused with 409 and the reasons unless the body says {"confirm": true}."""

    class ActivateSerializer(serializers.Serializer):  # not "PredictInputSerializer": the schema names it by class
        confirm = serializers.BooleanField(default=False)

    @extend_schema(request=ActivateSerializer, responses={
        200: inline_serializer("ModelActivated", {
            "id": serializers.IntegerField(), "project": serializers.IntegerField(),
            "version": serializers.IntegerField(), "is_active": serializers.BooleanField(),
        }),
        409: inline_serializer("ActivationConcerns", {
            "detail": serializers.CharField(), "code": serializers.CharField(),
            "concerns": serializers.ListField(child=serializers.CharField()),
        }),
    })
    def post(self, request, pk):
        data = self.ActivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version = services.model_version_activate(version=self.scoped_get(ModelVersion.objects, pk),
                                                      confirmed=data.validated_data["confirm"])
        except services.ActivationNeedsConfirmation as needs:
            return Response({"detail": "Send {\"confirm\": true} to activate it anyway.", "code": "needs_confirmation",
                             "concerns": needs.concerns},
                            status=status.HTTP_409_CONFLICT)
        return Response({"id": version.pk, "project": version.project_id, "version": version.version, "is_active": True})


NO_ACTIVE_MODEL = OpenApiResponse(description="The project has no active model yet.")
MODEL_UNAVAILABLE = OpenApiResponse(description="The active model's files are not on this server.")
NOTHING_TO_EXPORT = OpenApiResponse(description="No item is accepted yet (never an empty file).")
FORMAT_REFUSED = OpenApiResponse(description="A format this project cannot have.")


class PredictApi(ScopedApi, APIView):
    """Texts in, labels (or spans) with scores out, from the project's active model (kept loaded). Each text
    must be a non-blank string; a bad one is a 400 under its position: {"texts": {"<index>": ["..."]}}."""

    # Every text's problems, NUL included, in DRF's shape under its position (the generic parser named it "texts[0]").
    parser_classes = [JSONParserTextCheckedByView, FormParser, MultiPartParser]

    class PredictInputSerializer(serializers.Serializer):
        # Not blank: a model's label for an empty text is a made-up answer, not a prediction.
        texts = serializers.ListField(child=StrictTextField(max_length=10_000, error_messages={
            "blank": "This text is blank (empty or only whitespace): there is nothing to predict."}),
            min_length=1, max_length=1000, help_text="1 to 1000 non-blank strings of at most 10,000 characters.",
            error_messages={"min_length": "Send at least one text.",
                            "max_length": "Send at most {max_length} texts at once: split the list into batches.",
                            "not_a_list": "Send a list of texts, e.g. [\"red fridge\"]."})

    @extend_schema(request=PredictInputSerializer, responses={200: inline_serializer("Predictions", {
        "model_version": serializers.IntegerField(),
        "backend": serializers.ChoiceField(choices=list(BACKENDS), help_text="What answered: ONNX Runtime "
                                           "(int8 with fp32 for the texts it is unsure of, or fp32) or PyTorch."),
        # One per text, in order: {"label", "score"} for label models, {"spans", "score"} for span models.
        "predictions": serializers.ListField(child=serializers.DictField()),
    }), 409: NO_ACTIVE_MODEL, 503: MODEL_UNAVAILABLE})
    def post(self, request, pk):
        project = self.project_get(pk)
        data = self.PredictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = predictions.active_version(project)
        if version is None:
            return Response({"detail": "This project has no active model yet.", "code": "no_active_model"},
                            status=status.HTTP_409_CONFLICT)
        try:
            results = predictions.texts_predict(version=version, texts=data.validated_data["texts"])
        except predictions.ModelUnavailable as error:
            return Response({"detail": str(error), "code": "model_unavailable"},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
        backend = predictions.predictor_for(version).serving  # loaded by texts_predict, kept in this process
        return Response({"model_version": version.version, "backend": backend, "predictions": results})


class ExportApi(ScopedApi, APIView):
    """The project's accepted labels: ?export_format=jsonl|csv|conll|hf (&mask=1 masks emails and phone
    numbers). hf is a zip of one folder that `datasets.load_from_disk` reads as it is (train, validation and
    test splits, with manifest.json). (Not `format`: DRF reserves that parameter for choosing a renderer.)
    409 with {"detail": ...} while no item is accepted yet (never an empty file); 400 for a format the project
    cannot have."""

    @extend_schema(parameters=[OpenApiParameter("export_format", str, enum=[key for key, _ in downloads.EXPORT_FORMATS]),
                               OpenApiParameter("mask", bool)],
                   responses={200: str, 400: FORMAT_REFUSED, 409: NOTHING_TO_EXPORT})
    def get(self, request, pk):
        project = self.project_get(pk)
        try:
            return downloads.export_response(project, request.query_params.get("export_format", "jsonl"),
                                             request.query_params.get("mask") in ("1", "true"))
        except snapshots.NothingToExport as error:
            return Response({"detail": str(error), "code": "nothing_to_export"}, status=status.HTTP_409_CONFLICT)
        except ValueError as error:
            return Response({"detail": str(error), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)


class AssignmentSuggestionApi(APIView):
    """The active model's guess for the item you hold, where the project shows suggestions. A suggestion
    only: it never counts as a vote."""

    permission_classes = [IsAnnotator]

    @extend_schema(responses={200: inline_serializer("Suggestion", {
        "suggestion": inline_serializer("SuggestedLabel", {
            "label": serializers.JSONField(), "score": serializers.FloatField(),
        }, allow_null=True),
    })})
    def get(self, request, pk):
        assignment = Assignment.objects.select_related("project", "item").filter(
            pk=pk, worker=request.user, state=AssignmentState.LIVE).first()
        if assignment is None:
            return Response({"detail": "Not a live assignment of yours.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
        if not assignment.project.show_model_suggestions:
            return Response({"suggestion": None})
        prediction = (Prediction.objects.filter(item=assignment.item, model_version__is_active=True)
                      .values("label", "score").first())
        return Response({"suggestion": prediction})
