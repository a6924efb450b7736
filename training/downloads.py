"""HTTP responses for exports and snapshot downloads, shared by the admin pages and the API."""

from django.http import FileResponse, HttpResponse

from core.ranges import ranged_file_response

from . import snapshots

EXPORT_FORMATS = [("jsonl", "JSONL"), ("csv", "CSV"), ("conll", "CoNLL (span projects)"),
                  ("hf", "Hugging Face dataset (zip for datasets.load_from_disk)")]


def export_response(project, fmt: str, mask: bool = False):
    """The accepted labels as a download; ValueError for an unknown format or one the project cannot have,
    snapshots.NothingToExport (a ValueError) when no label is accepted yet: never an empty file that reads as
    a broken download."""
    if refusal := snapshots.export_refusal(project):
        raise refusal
    if fmt == "hf":
        archive = snapshots.hf_export_zip(project, mask=mask)
        return FileResponse(archive, as_attachment=True, filename=f"project-{project.pk}-labels.zip",
                            content_type="application/zip")
    body, content_type = snapshots.export_body(project, fmt, mask)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="labels.{fmt}"'
    return response


def snapshot_response(request, snapshot):
    """The snapshot's zip; a download that broke off resumes with a Range request (core/ranges.py)."""
    archive = snapshots.snapshot_zip(snapshot)
    return ranged_file_response(request, open(archive, "rb"), archive.stat().st_size, as_attachment=True,
                                filename=f"{snapshots.snapshot_download_name(snapshot)}.zip",
                                content_type="application/zip")
