"""The integrator API for projects and items: parse, call one service or selector, shape the output."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts.models import Skill
from core.edge import upload_limit
from core.pagination import PagedListApi
from core.parsers import BoundedJSONField, SafeJSONParser

from . import schemas, selectors, services
from .api_scoping import ScopedApi
from .importing import (
    DELIMITER_NAMES, ENCODINGS, IMPORT_FORMATS, ImportRejected, RowError, items_import, items_import_preview,
)
from .models import Item, ItemState, Project, ProjectStatus


def _django_error(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class ProjectOutputSerializer(serializers.ModelSerializer):
    required_skills = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    warnings = serializers.SerializerMethodField()

    def get_warnings(self, project) -> list[str]:
        """Allowed but probably not meant (a deadline already past, no item fields)."""
        return services.project_warnings(project)

    class Meta:
        model = Project
        fields = [
            "id", "title", "description", "instructions", "task_type", "label_schema", "item_fields",
            "difficulty", "deadline", "reward_amount", "reward_currency", "reward_scales_with_difficulty",
            "overlap", "max_overlap", "gold_share", "alpha", "accept_confidence", "adaptive_overlap",
            "early_stop_confidence", "min_seconds", "verified_only", "min_weight", "required_skills",
            "lease_minutes", "assignment_strategy", "item_order", "show_model_suggestions", "status", "created_at", "updated_at",
            "warnings", "practice_required", "pool_group", "pool_qualification",
        ]


class ProjectInputSerializer(serializers.ModelSerializer):
    """Validates shapes; the service checks the schema and the rules, and saves."""

    required_skills = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Skill.objects.all(), required=False
    )
    organisation = serializers.CharField(
        required=False, write_only=True, max_length=64,
        help_text="The slug of the organisation the new project belongs to; needed only by someone in several. "
                  "A project never moves between organisations through the API.")

    class Meta:
        model = Project
        fields = [f for f in ProjectOutputSerializer.Meta.fields
                  if f not in ("id", "status", "created_at", "updated_at", "warnings")] + ["organisation"]
        # Bounds checked here, on each field, so the database's check constraints never answer a person.
        extra_kwargs = {
            "task_type": {"required": True}, "title": {"required": True},
            **{name: {key: value for key, value in (("min_value", low), ("max_value", high)) if value is not None}
               for name, (low, high) in services.PROJECT_BOUNDS.items()},
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Another organisation's qualification or pool group is one that does not exist, as every other object of theirs; the
        # service then holds a new or edited project to its own organisation's.
        organisation_id = self.instance.organisation_id if self.instance is not None else None
        for name, visible in (("pool_qualification", account_selectors.qualifications_visible_to),
                              ("pool_group", account_selectors.pool_groups_visible_to)):
            offered = visible(user=user, organisation_id=organisation_id)
            self.fields[name].queryset = offered.none() if user is None else offered

    def validate_label_schema(self, value):
        try:
            return schemas.label_schema_clean(value)
        except schemas.SchemaError as error:
            raise ValidationError(error.problems) from error

    def validate(self, attrs):
        overlap = attrs.get("overlap", getattr(self.instance, "overlap", 3))
        max_overlap = attrs.get("max_overlap", getattr(self.instance, "max_overlap", 5))
        if max_overlap < overlap:
            raise ValidationError({"max_overlap": "Must be at least the overlap."})
        return attrs


class ProjectListApi(PagedListApi, ScopedApi, APIView):
    """Your organisations' projects, newest first (filter by status), or a new project (POST): made as a draft,
    published with /publish/ once it has items."""

    @extend_schema(
        responses=ProjectOutputSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=ProjectStatus.values)],
    )
    def get(self, request):
        projects = self.projects().prefetch_related("required_skills").order_by("-created_at")
        if request.query_params.get("status"):
            projects = projects.filter(status=request.query_params["status"])
        return self.page_response(projects, ProjectOutputSerializer)

    @extend_schema(request=ProjectInputSerializer, responses={201: ProjectOutputSerializer})
    def post(self, request):
        if getattr(request.auth, "project_id", None) is not None:
            raise PermissionDenied("This token is limited to one project: it cannot create projects.")
        data = ProjectInputSerializer(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "organisation" in fields:
            fields["organisation"] = self.organisation_for_new(fields["organisation"])
        try:
            project = services.project_create(created_by=request.user, **fields)
        except DjangoValidationError as error:
            raise _django_error(error) from error
        return Response(ProjectOutputSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(ScopedApi, APIView):
    """One of your organisations' projects: read it, or change its settings (PATCH; it stays in its organisation)."""

    @extend_schema(responses=ProjectOutputSerializer)
    def get(self, request, pk):
        return Response(ProjectOutputSerializer(self.project_get(pk)).data)

    @extend_schema(request=ProjectInputSerializer, responses=ProjectOutputSerializer)
    def patch(self, request, pk):
        project = self.project_get(pk)
        data = ProjectInputSerializer(project, data=request.data, partial=True, user=request.user)
        data.is_valid(raise_exception=True)
        if "organisation" in data.validated_data:
            raise ValidationError({"organisation": "A project does not move between organisations through the API: "
                                                   "an admin moves it."})
        try:
            project = services.project_update(project=project, **data.validated_data)
        except DjangoValidationError as error:
            raise _django_error(error) from error
        return Response(ProjectOutputSerializer(project).data)


class ProjectStatusApi(ScopedApi, APIView):
    """POST /api/projects/{id}/publish/ (or pause/, close/)."""

    action = None
    ACTIONS = {"publish": services.project_publish, "pause": services.project_pause, "close": services.project_close}

    @extend_schema(request=None, responses=ProjectOutputSerializer)
    def post(self, request, pk):
        project = self.project_get(pk)
        try:
            project = self.ACTIONS[self.action](project=project)
        except DjangoValidationError as error:
            raise _django_error(error) from error
        return Response(ProjectOutputSerializer(project).data)


class ProjectStatisticsApi(ScopedApi, APIView):
    """The project's counts: items (by state, gold among them), labels collected, assignments being worked on."""

    @extend_schema(responses=inline_serializer("ProjectStatistics", {
        "items": serializers.IntegerField(), "gold_items": serializers.IntegerField(),
        "items_by_state": serializers.DictField(child=serializers.IntegerField()),
        "labels_collected": serializers.IntegerField(), "live_assignments": serializers.IntegerField(),
        "labels_wanted": serializers.IntegerField(), "percent_done": serializers.FloatField(),
    }))
    def get(self, request, pk):
        return Response(selectors.project_statistics(self.project_get(pk)))


class ItemOutputSerializer(serializers.ModelSerializer):
    media = serializers.CharField(source="media_url", allow_null=True, read_only=True,
                                  help_text="Where the uploaded file is served (never a public path).")

    class Meta:
        model = Item
        fields = [
            "id", "external_id", "data", "media", "is_gold", "gold", "gold_explanation", "state",
            "open_slots", "submitted_count", "created_at", "updated_at",
        ]


class ItemInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=255, required=False)
    data = BoundedJSONField()
    gold = BoundedJSONField(required=False, allow_null=True)
    gold_explanation = serializers.CharField(required=False, allow_blank=True)

    def validate_data(self, value):
        if not isinstance(value, dict):
            raise ValidationError("The item's data must be an object of fields.")
        return value


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rows = serializers.IntegerField()
    summary = serializers.CharField()


class ItemListApi(PagedListApi, ScopedApi, APIView):
    """List a project's items (filter by state, gold, external id) or add items: one JSON object or a
    list of them, validated whole like any import (one bad item stores nothing)."""


    @extend_schema(
        responses=ItemOutputSerializer(many=True),
        parameters=[
            OpenApiParameter("state", str, enum=ItemState.values),
            OpenApiParameter("is_gold", bool),
            OpenApiParameter("external_id", str),
        ],
    )
    def get(self, request, pk):
        project = self.project_get(pk)
        items = Item.objects.filter(project=project).order_by("pk")
        params = request.query_params
        if params.get("state"):
            items = items.filter(state=params["state"])
        if params.get("is_gold") in ("true", "false", "1", "0"):
            items = items.filter(is_gold=params["is_gold"] in ("true", "1"))
        if params.get("external_id"):
            items = items.filter(external_id=params["external_id"])
        return self.page_response(items, ItemOutputSerializer)

    @extend_schema(request=ItemInputSerializer(many=True), responses={201: ImportResultSerializer})
    def post(self, request, pk):
        project = self.project_get(pk)
        rows = request.data if isinstance(request.data, list) else [request.data]
        data = ItemInputSerializer(data=rows, many=True)
        data.is_valid(raise_exception=True)
        return _import_response(project=project, source=[_row(item) for item in data.validated_data])


def _row(item: dict) -> dict:
    """An API item as an import row: its fields flattened beside id, gold and explanation."""
    row = dict(item["data"])
    if item.get("external_id"):
        row["external_id"] = item["external_id"]
    if item.get("gold") is not None:
        row["gold"] = item["gold"]
    if item.get("gold_explanation"):
        row["gold_explanation"] = item["gold_explanation"]
    return row


def _error_rows(rejected: ImportRejected) -> list[dict]:
    return [{"line": e.line, "reason": e.reason} for e in rejected.errors]


def _import_response(**kwargs) -> Response:
    try:
        report = items_import(**kwargs)
    except ImportRejected as rejected:
        return Response(
            {"detail": "Nothing was imported: fix these rows and send the whole file again.",
             "code": "import_rejected", "errors": _error_rows(rejected)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return Response(
        {"created": report.created, "updated": report.updated, "duplicates": len(report.duplicates),
         "rows": report.total_rows, "summary": report.summary()},
        status=status.HTTP_201_CREATED,
    )


class ImportPreviewSerializer(serializers.Serializer):
    format = serializers.CharField(source="file_format")
    delimiter = serializers.CharField(source="dialect.delimiter", default=None)
    delimiter_guessed = serializers.BooleanField(source="dialect.delimiter_guessed", default=None)
    encoding = serializers.CharField(source="dialect.encoding", default=None)
    encoding_guessed = serializers.BooleanField(source="dialect.encoding_guessed", default=None)
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.SerializerMethodField()
    total_rows = serializers.IntegerField()
    gold_rows = serializers.IntegerField()
    ok = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    def get_rows(self, preview) -> list[dict]:
        return [
            {"line": row.line, "reason": row.reason} if isinstance(row, RowError) else
            {"line": row.line, "external_id": None if row.id_from_content else row.external_id, "data": row.data,
             "gold": row.gold}
            for row in preview.rows
        ]

    def get_ok(self, preview) -> bool:
        return preview.problems is None

    def get_errors(self, preview) -> list[dict]:
        return [] if preview.problems is None else _error_rows(preview.problems)

    def get_warnings(self, preview) -> list[str]:
        """Allowed but probably not meant: every row a gold check, so nothing to label."""
        return [preview.all_gold_note] if preview.all_gold_note else []


@upload_limit("IMPORT_SYNC_MAX_BYTES", hint="Send a larger file to POST /api/projects/{pk}/imports/: it is "
                                          "imported in the background, with progress to follow.")
class ItemBulkImportApi(ScopedApi, APIView):
    """Upload a CSV, JSONL or JSON file (multipart field `file`), with an optional `mapping` (JSON), `format`,
    and for CSV `delimiter` and `encoding` (guessed when absent). The file streams; it is validated whole before
    anything is stored. With `preview=true` nothing is stored: the answer says how the file was read, shows its
    first rows as they would be stored, and lists what would stop the import. A file above IMPORT_SYNC_MAX_BYTES
    (10 MB unless configured) is refused with 413 before it is read: POST it to /api/projects/{id}/imports/, which
    imports it in the background. Text is stored normalised (Unicode NFC, runs of whitespace as one space, trimmed),
    and a span gold answer counts code points of that stored text, not of the text as the file gives it."""

    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    class ItemImportInputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=IMPORT_FORMATS, required=False)
        mapping = BoundedJSONField(required=False)
        delimiter = serializers.ChoiceField(choices=list(DELIMITER_NAMES.items()), required=False)
        encoding = serializers.ChoiceField(choices=ENCODINGS, required=False)
        preview = serializers.BooleanField(required=False, default=False)

        def validate_mapping(self, value):
            if value is not None and not isinstance(value, dict):
                raise ValidationError("The mapping must be a JSON object.")
            return value

    @extend_schema(
        request={"multipart/form-data": ItemImportInputSerializer},
        responses={201: ImportResultSerializer, 200: ImportPreviewSerializer},
    )
    def post(self, request, pk):
        project = self.project_get(pk)
        data = self.ItemImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload, options = data.validated_data["file"], data.validated_data
        kwargs = {"project": project, "source": upload, "filename": upload.name, "file_format": options.get("format"),
                  "mapping": options.get("mapping"), "delimiter": options.get("delimiter"),
                  "encoding": options.get("encoding")}
        if options["preview"]:
            return Response(ImportPreviewSerializer(items_import_preview(**kwargs)).data)
        return _import_response(**kwargs)
