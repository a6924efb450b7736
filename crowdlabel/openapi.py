"""The error answers in the published API description (a drf-spectacular postprocessing hook).

Every API error has one shape (crowdlabel/errors.py): an object with `detail` and `code`, and a validation
error's field messages beside them. The hook documents it once, as the component `Error`, and adds to each
operation the error statuses that the shared machinery can give it, whatever its view does:

- 401 (no or a bad token), 403 (the role or the token's limits refuse), 429 (rate limits), 503 (the database or
  the cache away): every operation;
- 400 (bad input: fields, NUL characters, JSON too deep; core/edge.py, core/parsers.py): operations with a body
  or query parameters; 413 (a body too large) and 415 (a media type the API does not read): those with a body;
- 404: operations with a path parameter (no such object, or not yours) or pages (`?page=` past the end).

What only some views answer (409 for an assignment that ran out, a model that is not there) the view declares
itself with `OpenApiResponse(description=...)`; the hook gives such a declared error its body, the same `Error`.
"""

ERROR_COMPONENT = {
    "type": "object",
    "description": "An error: `detail` for people, `code` for programs; a validation error also names each "
                   "field with its messages.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in words."},
        "code": {"type": "string", "description": "A stable word for it: not_found, invalid, throttled, ..."},
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

EVERY_OPERATION = {
    "401": "Not authenticated: no token, or an unknown or revoked one.",
    "403": "Not allowed: your role, or your token's limits, refuse this.",
    "429": "Too many requests: wait the Retry-After header's seconds.",
    "503": "The service is briefly unavailable: retry after the Retry-After header's seconds.",
}
WITH_INPUT = {"400": "Invalid input: the fields at fault are named beside detail and code."}
WITH_BODY = {
    "413": "The body is larger than this operation accepts.",
    "415": "A media type this operation does not read.",
}
WITH_LOOKUP = {"404": "Not found: no such object, not one of yours, or a page past the end."}


def _error_statuses(operation: dict) -> dict:
    parameters = operation.get("parameters", [])
    has_query = any(parameter["in"] == "query" for parameter in parameters)
    has_path = any(parameter["in"] == "path" for parameter in parameters)
    has_body = "requestBody" in operation
    statuses = dict(EVERY_OPERATION)
    if has_body or has_query:
        statuses.update(WITH_INPUT)
    if has_body:
        statuses.update(WITH_BODY)
    if has_path or any(parameter["name"] == "page" for parameter in parameters):
        statuses.update(WITH_LOOKUP)
    return statuses


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def error_responses_document(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: the `Error` component, and each operation's error statuses with it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status, description in _error_statuses(operation).items():
                responses.setdefault(status, _error_response(description))
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "content" not in response:
                    response.update(_error_response(response.get("description") or "An error."))
    return result
