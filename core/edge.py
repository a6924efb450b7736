"""Checks every request passes before a view sees it: a body no larger than its view accepts, refused by its
declared length before a byte of it is read (Django reads at most CONTENT_LENGTH bytes), and query parameters
free of NUL characters (PostgreSQL refuses them in any string, so a filter like ?status=%00 was a 500), and ids
in the URL no column can hold."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from .textcheck import text_problem

MULTIPART = "multipart/form-data"
MULTIPART_FORM_BYTES = 64 * 1024


def upload_limit(max_bytes_setting: str, *, hint: str = ""):
    """Declare, on a view function or class, the setting that bounds the multipart upload it accepts; `hint`,
    where to send a larger one, ends the 413's message (formatted with the URL's arguments: "{pk}")."""

    def declare(view):
        view.max_upload_bytes_setting = max_bytes_setting
        view.max_upload_hint = hint
        return view

    return declare


def _declared(view_func, name: str):
    view = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None) or view_func
    return getattr(view, name, None) or getattr(view_func, name, None)


def _max_body_bytes(request, view_func) -> int | None:
    if not request.content_type.startswith(MULTIPART):
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    setting = _declared(view_func, "max_upload_bytes_setting")
    if setting is None:
        return settings.FILE_UPLOAD_MAX_BYTES
    # The setting bounds the file; the body also carries the form's other fields and multipart boundaries.
    return getattr(settings, setting) + MULTIPART_FORM_BYTES


REFUSAL_CODES = {400: "invalid", 404: "not_found", 413: "too_large"}
# The largest id a column holds (PostgreSQL's bigint, SQLite's integer): a URL's <int:pk> takes any digits, and
# a larger one reached the hot path's plain SQL, which the ORM's own range check does not guard (a 500).
MAX_ID = 2**63 - 1


def _refusal(request, status: int, field: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        # The API's one error shape (detail and code, crowdlabel/errors.py), the field at fault named beside them.
        body = {"detail": message, "code": REFUSAL_CODES[status]}
        if field != "detail":
            body[field] = [message]
        return JsonResponse(body, status=status)
    return HttpResponse(f"{field}: {message}", status=status, content_type="text/plain; charset=utf-8")


class EdgeChecks:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Runs before CSRF's own process_view, the first to read a form body."""
        for name, values in request.GET.lists():
            for value in [name, *values]:
                problem = text_problem(value)
                if problem:
                    return _refusal(request, 400, name, f"The query parameter {problem}.")
        if any(isinstance(value, int) and not -MAX_ID <= value <= MAX_ID for value in view_kwargs.values()):
            return _refusal(request, 404, "detail", "Not found.")
        limit = _max_body_bytes(request, view_func)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(request, 400, "detail", "The Content-Length header is not a number.")
        if limit is not None and length > limit:
            hint = _declared(view_func, "max_upload_hint") if request.content_type.startswith(MULTIPART) else ""
            hint = (hint or "").format(**view_kwargs)  # the hint may name this request's URL arguments
            message = f"The request body is larger than {limit} bytes."
            return _refusal(request, 413, "detail", f"{message} {hint}" if hint else message)
        return None
