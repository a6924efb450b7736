"""The API's JSON parser: the body's size and nesting depth are bounded before it is parsed, and text no column
can hold (NUL, lone surrogates) is refused with a 400 that names the field."""

import codecs

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser, get_encoding

from .textcheck import JsonTooDeep, json_depth_check, json_kind, json_text_problem, may_hold_bad_text, text_problem


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class SafeJSONParser(JSONParser):
    check_text = True

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise BodyTooLarge(f"The body is larger than {limit} bytes.")
        try:
            json_depth_check(body)
        except JsonTooDeep as error:
            raise ParseError(f"JSON parse error - the body {error}.") from None
        data = super().parse(_Bytes(body), media_type, parser_context)
        refused = self.check_text and _may_hold_bad_text(body, parser_context) and json_text_problem(data)
        if refused:
            where, problem = refused
            raise ValidationError({where: [f"The field {problem}."]})
        return data


class JSONParserTextCheckedByView(SafeJSONParser):
    """For a view whose own validation refuses NUL and lone surrogates in every field it accepts, in its own error
    shape (the feedback batch: each event's index and field, all of them in one answer; the predictions' texts:
    each text's position, as DRF names a list's items); size and depth still checked here."""

    check_text = False


def _may_hold_bad_text(body: bytes, parser_context) -> bool:
    """Whether the parsed body must be walked for NUL and lone surrogates (a batch of 500 feedback events: 2 ms):
    only a UTF-8 body with a \\u escape can hold them (textcheck.may_hold_bad_text); another charset is walked."""
    return codecs.lookup(get_encoding(parser_context or {})).name != "utf-8" or may_hold_bad_text(body)


class _Bytes:
    """The body read once, handed to JSONParser as the stream it expects."""

    def __init__(self, body: bytes):
        self._body = body

    def read(self, size: int = -1) -> bytes:
        body, self._body = self._body, b""
        return body


class BoundedJSONField(serializers.JSONField):
    """A JSON input field whose text, when it comes as a form or multipart field (those bodies do not pass
    through SafeJSONParser), is refused past the nesting bound before json.loads recurses into it: a mapping
    nested 5,000 deep in an import's form was a RecursionError, a 500."""

    def to_internal_value(self, data):
        if isinstance(data, (str, bytes)) and (self.binary or getattr(data, "is_json_string", False)):
            try:
                json_depth_check(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
            except JsonTooDeep as error:
                raise ValidationError(f"The value {error}.") from None
        return super().to_internal_value(data)


class StrictTextField(serializers.CharField):
    """A CharField that takes only a string: DRF's own turns a number into its digits (an integrator's [1, 2]
    was predicted on as "1" and "2"), and refuses what no column or model should get, NUL and lone surrogates,
    in DRF's error shape (in a list, under the item's position: {"texts": {"0": [...]}})."""

    default_error_messages = {"not_text": "Not a string but {kind}: send the text itself, in quotes."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text", kind=json_kind(data))
        problem = text_problem(data)
        if problem:
            raise ValidationError(f"The text {problem}.")
        return super().to_internal_value(data)
