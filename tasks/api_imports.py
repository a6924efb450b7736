"""Background imports in the integrator API: upload a file, get 202 and the job's URL, follow its progress,
download its error report. For files of any size (the synchronous import endpoint answers within one request)."""

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import ItemBulkImportApi
from .api_scoping import ScopedApi
from .importing.jobs import import_job_create, import_job_errors_csv, import_job_progress
from .models import ImportJob


class ImportJobErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="This status, to poll.")
    errors_url = serializers.CharField(help_text="The error report as CSV (line, reason).")
    state = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    phase = serializers.ChoiceField(choices=["queued", "validating", "importing", "done", "failed"])
    rows_done = serializers.IntegerField(allow_null=True)
    rows_total = serializers.IntegerField(allow_null=True, help_text="Known once validation has read the file.")
    percent = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    summary = serializers.CharField()
    error_count = serializers.IntegerField()
    errors = ImportJobErrorSerializer(many=True, help_text="The first 1,000; all of them stopped the import.")
    filename = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


def _job_body(request, job: ImportJob) -> dict:
    return ImportJobSerializer({
        **import_job_progress(job),
        "url": request.build_absolute_uri(reverse("api-import-job", args=[job.pk])),
        "errors_url": request.build_absolute_uri(reverse("api-import-job-errors", args=[job.pk])),
    }).data


class ImportJobCreateApi(ScopedApi, APIView):
    """Upload a CSV, JSONL or JSON file (multipart field `file`, with `mapping`, `format`, `delimiter` and
    `encoding` as for the synchronous import). 202 with the job: it is validated whole and imported all or
    nothing by a background worker; poll its `url` for progress and the outcome."""

    parser_classes = [MultiPartParser, FormParser]

    class ImportJobInputSerializer(ItemBulkImportApi.ItemImportInputSerializer):
        preview = None

    @extend_schema(request={"multipart/form-data": ImportJobInputSerializer}, responses={202: ImportJobSerializer})
    def post(self, request, pk):
        project = self.project_get(pk)
        data = self.ImportJobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        options = data.validated_data
        # The API names the format `format`, as the synchronous import does; the job's option is `file_format`.
        job = import_job_create(project=project, created_by=request.user, upload=options["file"],
                                options={**options, "file_format": options.get("format")})
        body = _job_body(request, job)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ImportJobApi(ScopedApi, APIView):
    """A background import's progress: phase, rows done of the total, and when it is over the counts or the
    errors that stopped it (nothing stored then)."""

    @extend_schema(responses={200: ImportJobSerializer})
    def get(self, request, pk):
        return Response(_job_body(request, self.scoped_get(ImportJob.objects.all(), pk)))


class ImportJobErrorsApi(ScopedApi, APIView):
    """A background import's error report as CSV (line, reason)."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, pk):
        job = self.scoped_get(ImportJob.objects.all(), pk)
        response = HttpResponse(import_job_errors_csv(job), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response
