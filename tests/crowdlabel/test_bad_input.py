"""Bad input answers 400 (or 413) naming what was wrong, never 500: NUL characters and lone surrogates, JSON
nested too deep, bodies too large. Run on PostgreSQL in CI, whose columns refuse NUL (SQLite would store it)."""

import io
import json
import tracemalloc

import pytest
from django.urls import reverse
from hypothesis import given, settings as hypothesis_settings, strategies as st

from core.textcheck import (JsonDepthScanner, JsonTooDeep, json_depth_check, json_text_problem, may_hold_bad_text,
                            text_problem)
from tasks.importing import ImportRejected, items_import
from tasks.models import Item, Project
from tests.factories import IntegratorFactory, token_for
from tests.tasks.factories import ProjectFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB


@pytest.fixture
def api(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    return api_client


def _raw_post(api, url, body: str):
    return api.generic("POST", url, body.encode("utf-8", "surrogatepass"), content_type="application/json")


# --- The checks themselves ----------------------------------------------------------------------------

def test_text_problem_names_nul_and_lone_surrogates_but_passes_real_characters():
    assert "NUL" in text_problem("a\x00b")
    assert "U+D83D" in text_problem("\ud83d alone")
    assert text_problem("📱 phone e\u0301 עברית") is None
    assert json_text_problem({"data": [{"ok": "x"}, {"title": "x\x00"}]}) == ("data[1].title", text_problem("\x00"))


def test_the_depth_scanner_follows_strings_and_escapes_across_chunks():
    scanner = JsonDepthScanner(limit=2)
    for chunk in [b'[{"a', b'\\', b'"[[[[[[ \\\\', b'", "b": "{{{{"', b"}]"]:
        scanner.feed(chunk)  # brackets inside strings, an escaped quote split across chunks: not nesting
    assert (scanner.depth, scanner.in_string) == (0, False)
    with pytest.raises(JsonTooDeep):
        JsonDepthScanner(limit=2).feed(b'[{"a": [1]}]')


# Text full of what the checks look for: quotes, backslashes, brackets, NUL, surrogates, and \u0000 written out.
_TRICKY_TEXT = st.text(alphabet=st.sampled_from('"\\[]{}u0dD8a\x00\ud800\udfffé📱'), max_size=12)
_JSON_VALUES = st.recursive(st.none() | st.integers() | _TRICKY_TEXT,
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY_TEXT, inner, max_size=3),
                            max_leaves=40)


def _deeper_than(limit: int, check) -> bool:
    try:
        check(limit)
    except JsonTooDeep:
        return True
    return False


@hypothesis_settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_JSON_VALUES, st.booleans(), st.integers(min_value=0, max_value=6))
def test_the_whole_document_depth_check_agrees_with_the_scanner(value, ascii_only, limit):
    document = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _deeper_than(limit, lambda limit: json_depth_check(document, limit)) == _deeper_than(
        limit, lambda limit: JsonDepthScanner(limit).feed(document))


@hypothesis_settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_JSON_VALUES, st.booleans())
def test_a_body_said_to_hold_no_bad_text_holds_none(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    if not ascii_only and text_problem(text):
        return  # a lone surrogate sent as itself is not UTF-8: the body is refused before it is parsed
    document = text.encode("utf-8")
    if not may_hold_bad_text(document):
        assert json_text_problem(json.loads(document)) is None


def test_the_depth_check_refuses_what_a_parser_would_nest_into_after_escapes():
    deep = b"[" * 40 + b"]" * 40
    with pytest.raises(JsonTooDeep):
        json_depth_check(b'["a \\\\", ' + deep + b"]")  # the string ends after an escaped backslash
    json_depth_check(b'["a \\" ' + deep + b'"]')  # an escaped quote: the brackets are inside the string


# --- API bodies and filters ---------------------------------------------------------------------------

def test_a_label_name_with_nul_is_refused_naming_the_field(api):
    body = {"title": "p", "task_type": "single_label", "label_schema": {"labels": [{"name": "A\x00"}, {"name": "B"}]}}
    answer = api.post(reverse("api-projects"), body, format="json")
    assert answer.status_code == 400
    assert "label_schema.labels[0].name" in answer.json()
    assert not Project.objects.exists()


def test_a_lone_surrogate_in_an_item_field_name_is_refused(api):
    answer = _raw_post(api, reverse("api-projects"),
                       '{"title": "p", "task_type": "single_label", "item_fields": ["ti\\ud800tle"]}')
    assert answer.status_code == 400
    assert "lone surrogate (U+D800)" in answer.json()["item_fields[0]"][0]


def test_item_text_with_nul_or_a_lone_surrogate_is_refused_and_nothing_stored(api):
    project = ProjectFactory()
    url = reverse("api-project-items", args=[project.pk])
    for body in ('[{"data": {"title": "ok"}}, {"data": {"title": "bad\\u0000"}}]',
                 '[{"data": {"title": "\\udc00 bad"}}]'):
        answer = _raw_post(api, url, body)
        assert answer.status_code == 400, answer.content
        assert any(key.endswith("data.title") for key in answer.json())
    assert not Item.objects.exists()


@pytest.mark.parametrize("url_name, args, param", [
    ("api-projects", [], "status"), ("api-project-items", ["project"], "state"),
    ("api-project-items", ["project"], "external_id"),
])
def test_a_list_filter_with_nul_is_refused(api, url_name, args, param):
    project = ProjectFactory()
    url = reverse(url_name, args=[project.pk if arg == "project" else arg for arg in args])
    answer = api.get(f"{url}?{param}=%00")
    assert answer.status_code == 400
    assert param in answer.json()


def test_a_page_filter_with_nul_is_refused_as_text(client, admin_user):
    client.force_login(admin_user)
    answer = client.get("/admin/tasks/project/?q=%00")
    assert answer.status_code == 400 and answer["Content-Type"].startswith("text/plain")


def test_json_nested_100000_deep_is_refused_before_parsing(api):
    answer = _raw_post(api, reverse("api-projects"), DEEP)
    assert answer.status_code == 400
    assert "nested deeper than" in answer.json()["detail"]


def test_a_json_body_over_the_limit_is_refused_unread(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answer = _raw_post(api, reverse("api-projects"), json.dumps({"title": "x" * 2000, "task_type": "span"}))
    assert answer.status_code == 413
    assert not Project.objects.exists()


def test_an_upload_over_the_limit_is_refused_unread(api, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 10_000
    project = ProjectFactory()
    upload = io.BytesIO(b"title\n" + b"a phone\n" * 5000)
    upload.name = "items.csv"
    answer = api.post(reverse("api-project-import-jobs", args=[project.pk]), {"file": upload}, format="multipart")
    assert answer.status_code == 413
    assert "larger than 10000 bytes" in answer.json()["detail"] and answer.json()["code"] == "too_large"
    assert not Item.objects.exists()


# --- Imports: the line is named ------------------------------------------------------------------------

def _import_errors(project, text: bytes, file_format: str):
    with pytest.raises(ImportRejected) as rejected:
        items_import(project=project, source=io.BytesIO(text), file_format=file_format)
    assert not Item.objects.filter(project=project).exists()
    return [(error.line, error.reason) for error in rejected.value.errors]


@pytest.mark.parametrize("text, file_format, line, words", [
    (b"title\nphone\nbad\x00 phone\n", "csv", 3, "'title' contains a NUL"),
    (b"title,x\x00\nphone,1\n", "csv", 1, "column 2 of the header contains a NUL"),
    (b'{"title": "ok"}\n{"title": "bad \\u0000"}\n', "jsonl", 2, "'title' contains a NUL"),
    (b'{"title": "ok"}\n\n{"title": "bad \\ud800"}\n', "jsonl", 3, "lone surrogate (U+D800)"),
    (b'{"title": "ok", "ex\\u0000tra": "x"}\n', "jsonl", 1, "field name 'ex\\x00tra' contains a NUL"),
    (b'[{"title": "ok"}, {"title": "ok 2", "gold_explanation": "\\u0000"}]', "json", 2, "gold explanation contains"),
    (b'[{"title": "ok"}, {"title": "\\udfff"}]', "json", 2, "is not UTF-8"),  # ijson's own refusal
    (b'[{"title": "ok", "id": "\\u0000"}]', "json", 1, "external id contains a NUL"),
    (b'{"title": "ok"}\n' + DEEP.encode() + b"\n", "jsonl", 2, "nested deeper than"),
])
def test_bad_text_in_an_import_is_a_row_error_naming_line_and_field(text, file_format, line, words):
    errors = _import_errors(ProjectFactory(), text, file_format)
    assert len(errors) == 1 and errors[0][0] == line and words in errors[0][1], errors


def test_a_deeply_nested_json_import_is_refused_at_once_in_little_memory():
    project = ProjectFactory()
    tracemalloc.start()
    try:
        errors = _import_errors(project, ("[" + DEEP + "]").encode(), "json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (1, "is nested deeper than 32 levels of arrays and objects; reading stopped here.") in errors
    assert peak < 20 * 1024 * 1024  # it took 22.9 GB before the bound


def test_an_api_import_with_nul_answers_400_with_the_line(api):
    project = ProjectFactory()
    upload = io.BytesIO(b"title\nphone\nbad\x00\n")
    upload.name = "items.csv"
    answer = api.post(reverse("api-project-items-import", args=[project.pk]), {"file": upload}, format="multipart")
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["line"] == 3 and "NUL" in answer.json()["errors"][0]["reason"]


FORM_DEEP = "[" * 5_000 + "]" * 5_000


def test_json_nested_deep_in_a_form_field_is_refused_not_a_500(api):
    """Form and multipart bodies do not pass SafeJSONParser: a JSON field's text (an import's mapping) nested
    5,000 deep made json.loads recurse until RecursionError, a 500."""
    project = ProjectFactory()
    for name in ("api-project-items-import", "api-project-import-jobs"):
        upload = io.BytesIO(b"external_id,title\n1,phone\n")
        upload.name = "items.csv"
        answer = api.post(reverse(name, args=[project.pk]), {"file": upload, "mapping": FORM_DEEP}, format="multipart")
        assert answer.status_code == 400, answer.content
        assert "nested deeper than 32" in answer.json()["mapping"][0]
    assert not Item.objects.exists()


def test_an_id_beyond_any_column_is_not_found_not_a_500(api_client):
    """The submit path's plain SQL met an id of 26 digits (the URL's <int:pk> takes any): a 500 (fresh-eyes trial)."""
    from tests.factories import AnnotatorFactory

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AnnotatorFactory())}")
    for path in ("/api/assignments/99999999999999999999999999/submit/", "/api/assignments/9223372036854775808/skip/"):
        answer = api_client.post(path, {"answer": "TV"}, format="json")
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert api_client.post("/api/assignments/9223372036854775807/submit/", {"answer": "TV"},
                           format="json").status_code in (403, 404)  # the largest id is looked up as usual
