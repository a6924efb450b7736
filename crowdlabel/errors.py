"""Errors as clients read them: JSON of one shape on /api/, and 503 with Retry-After while a backing service
(the database, the Redis cache) is away, never Django's HTML page to an API client.

Every API error body is an object with `detail` (a sentence for people) and `code` (a stable word for programs);
a validation error keeps each field's messages beside them, as DRF gives them ({"name": ["..."]}).

Three places produce them, because errors arise in three places: DRF's exception handler (the API views),
`ApiErrorsMiddleware.process_exception` (any view, DEBUG on or off), and the 404/500 handlers in crowdlabel/urls.py
(URLs nothing matches, and exceptions raised outside views, in middleware: the session, the user).
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions
from rest_framework.views import exception_handler

logger = logging.getLogger("django.request")

# A backing service that does not answer: the request may succeed when it is back, so 503 and not 500.
UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def unavailable_response(request) -> HttpResponse:
    retry_after = str(settings.API_RETRY_AFTER_SECONDS)
    if _is_api(request):
        response = JsonResponse({"detail": "The service is briefly unavailable; try again shortly.",
                                 "code": "service_unavailable"}, status=503)
    else:
        response = HttpResponse("CrowdLabel is briefly unavailable; try again in a few seconds.\n",
                                status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry_after
    return response


def _api_server_error() -> JsonResponse:
    return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)


def api_exception_handler(exc, context):
    """DRF's handler, each body given `detail` and `code`; an unavailable backing service is a 503."""
    if isinstance(exc, UNAVAILABLE):
        logger.warning("API %s: %r", context["request"].path, exc)
        return unavailable_response(context["request"])
    # As DRF's own handler does, so that their codes are known below.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: ApiErrorsMiddleware answers it
    response.data = _shaped(response.data, exc)
    return response


def _shaped(data, exc) -> dict:
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    if isinstance(data, dict) and "detail" in data:
        code = codes.get("detail") if isinstance(codes, dict) else codes
        return {**data, "code": data.get("code") or (code if isinstance(code, str) else "error")}
    if isinstance(data, dict):  # field errors
        return {"detail": "Invalid input.", "code": "invalid", **data}
    # A list of messages (a ValidationError raised with a list or a string).
    return {"detail": " ".join(str(message) for message in data), "code": "invalid", "errors": data}


class ApiErrorsMiddleware:
    """An exception that escapes a view: 503 while a backing service is away (pages too), JSON 500 on /api/."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE):
            logger.warning("%s: %r", request.path, exception)
            return unavailable_response(request)
        if _is_api(request):
            logger.error("Internal Server Error: %s", request.path, exc_info=exception)
            return _api_server_error()
        return None


def server_error(request, template_name="500.html"):
    """handler500: reached by exceptions raised outside views (middleware), with DEBUG off."""
    if isinstance(sys.exc_info()[1], UNAVAILABLE):
        return unavailable_response(request)
    if _is_api(request):
        return _api_server_error()
    return defaults.server_error(request, template_name)


def page_not_found(request, exception, template_name="404.html"):
    if _is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception, template_name)
