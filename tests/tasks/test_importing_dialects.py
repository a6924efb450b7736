"""How an import reads a file it was not told about: the CSV delimiter and encoding it guesses, a missing
column reported once (not once per row), and gold labels typed in another case."""

import json

import pytest

from tasks import schemas
from tasks.importing import RowError
from tasks.importing.sniffing import csv_dialect_guess, delimiter_guess, encoding_guess
from tasks.models import Item
from tests.tasks.factories import ProjectFactory
from tests.tasks.importing import import_rejected, import_text, items_by_external_id

pytestmark = pytest.mark.django_db


# --- The delimiter -----------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_guessed_and_the_file_imports(delimiter):
    project = ProjectFactory()
    rows = [["id", "title", "gold"], ["1", "Apple iPhone 8, 64 GB", "Phone"], ["2", "Bravia 55", ""]]
    text = "\n".join(delimiter.join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows) + "\n"
    report = import_text(project, text)
    assert report.created == 2 and report.dialect.delimiter == delimiter
    assert items_by_external_id(project)["1"].data == {"title": "Apple iPhone 8, 64 GB"}
    assert items_by_external_id(project)["1"].gold == "Phone"
    assert "delimiter guessed" in report.summary()


@pytest.mark.parametrize("text, expected", [
    ("title\nApple iPhone\nBravia\n", ","),  # one column: nothing to guess, a comma is harmless
    ("id;title\n1;Apple iPhone 8, 64 GB; red\n2;TV\n", ";"),  # ragged: the header decides
    ("a;b;c\n1;2,5;3\n4;5,5;6\n", ";"),  # decimal commas inside semicolon-separated cells
    ("", ","),
])
def test_delimiter_guess_falls_back_safely(text, expected):
    assert delimiter_guess(text) == expected


def test_a_given_delimiter_wins_over_the_guess():
    project = ProjectFactory()
    report = import_text(project, "title\nApple iPhone; 64 GB\nSamsung TV; 55 in\n", delimiter=",")
    assert report.dialect.delimiter == "," and not report.dialect.delimiter_guessed
    assert {item.data["title"] for item in Item.objects.filter(project=project)} == {
        "Apple iPhone; 64 GB", "Samsung TV; 55 in"}


def test_an_unknown_delimiter_or_encoding_is_refused():
    assert "Unknown delimiter ':'" in import_rejected(ProjectFactory(), "title\nx\n", delimiter=":")[0].reason
    assert "Unknown encoding 'koi8-r'" in import_rejected(ProjectFactory(), "title\nx\n", encoding="koi8-r")[0].reason


# --- The encoding ------------------------------------------------------------------------------------

def test_a_cp1252_file_from_excel_imports_with_its_accents():
    project = ProjectFactory()
    report = import_text(project, "id;title\n1;Café crème – 250 g\n2;Naïve €5\n".encode("cp1252"))
    assert (report.dialect.encoding, report.dialect.delimiter) == ("cp1252", ";")
    assert items_by_external_id(project)["1"].data == {"title": "Café crème – 250 g"}
    assert items_by_external_id(project)["2"].data == {"title": "Naïve €5"}


@pytest.mark.parametrize("sample, truncated, expected", [
    (b"id,title\n1,plain ascii\n", False, "utf-8"),
    ("id,title\n1,café\n".encode(), False, "utf-8"),
    (b"\xef\xbb\xbfid,title\n", False, "utf-8-sig"),
    ("id,title\n1,café\n".encode("cp1252"), False, "cp1252"),
    (b"id,title\n1,\x81\x8d\n", False, "latin-1"),  # bytes cp1252 leaves undefined
    ("title\ncafé".encode()[:-1], True, "utf-8"),  # the sample ends inside a two-byte character
    ("title\ncafé".encode()[:-1], False, "cp1252"),  # ... but the file ends there: not UTF-8 after all
    ("id,title\n1,café\n".encode() + b"2,\xff\xfe\n", False, "utf-8"),  # UTF-8 with damaged bytes
    ("id;title\n1;Café crème – 250 g\n2;Naïve €5\n".encode("cp1252"), False, "cp1252"),
])
def test_encoding_guess(sample, truncated, expected):
    assert encoding_guess(sample, truncated=truncated) == expected


def test_a_damaged_utf8_file_is_refused_by_its_bad_lines_not_read_as_cp1252():
    """A UTF-8 file with a few broken bytes was guessed cp1252 whole, and its good accents stored as mojibake."""
    project = ProjectFactory()
    errors = import_rejected(project, "id,title\n1,café crème\n".encode() + b"2,caf\xe9 \xff\n3,fine\n")
    assert [(error.line, error.reason[:38]) for error in errors] == [(3, "is not UTF-8 text (byte 0xe9 at byte 6")]


def test_a_byte_order_mark_is_reported_and_not_part_of_the_header():
    dialect = csv_dialect_guess("\ufeffid;title\n1;x\n".encode(), truncated=False)
    assert (dialect.encoding, dialect.delimiter) == ("utf-8-sig", ";")


def test_a_given_encoding_wins_over_the_guess():
    project = ProjectFactory()
    report = import_text(project, "title\nCafé\n".encode("cp1252"), encoding="latin-1")
    assert report.dialect.encoding == "latin-1" and items_by_external_id(project) and Item.objects.get().data == {"title": "Café"}


# --- A structural problem is reported once ------------------------------------------------------------

def test_a_missing_column_is_one_problem_naming_the_columns_found():
    project = ProjectFactory()
    rows = "".join(f"{n},name {n},Phone\n" for n in range(50))
    errors = import_rejected(project, "id,name,gold\n" + rows)
    assert errors == [RowError(None, "Column 'title' not found; columns found: id, name, gold; delimiter guessed: "
                                     "comma (,); encoding guessed: utf-8.")]


def test_a_semicolon_file_read_with_a_comma_says_so_once():
    project = ProjectFactory()
    errors = import_rejected(project, "id;title\n" + "".join(f"{n};t {n}\n" for n in range(30)), delimiter=",")
    assert len(errors) == 1 and errors[0].line is None
    assert errors[0].reason == ("Column 'title' not found; columns found: id;title; delimiter given: comma (,); "
                                "encoding guessed: utf-8.")


def test_a_mapping_that_feeds_no_required_field_is_one_problem():
    project = ProjectFactory(item_fields=["title", "brand"])
    errors = import_rejected(project, "Name,Brand\nx,y\nz,w\n", mapping={"fields": {"titel": "Name", "brand": "Brand"}})
    assert len(errors) == 1
    assert errors[0].reason.startswith("The mapping gives no column for the item field 'title'; columns found: "
                                       "Name, Brand;")


def test_a_project_without_item_fields_says_why_it_wants_text():
    project = ProjectFactory(item_fields=[])
    errors = import_rejected(project, "id,title\n1,x\n")
    assert errors[0].reason.startswith("Column 'text' not found; columns found: id, title;")
    assert "The project names no item fields, so each item needs a 'text' field" in errors[0].reason


def test_pairwise_columns_missing_a_side_are_one_problem():
    project = ProjectFactory(pairwise=True)
    errors = import_rejected(project, "id,left.title,gold\n1,a,\n2,b,\n")
    assert len(errors) == 1 and errors[0].reason.startswith("Column 'right.title' not found;")


def test_a_json_key_no_record_has_is_one_problem_naming_the_keys_found():
    project = ProjectFactory()
    text = "\n".join(json.dumps({"id": n, "name": f"x {n}"}) for n in range(40))
    errors = import_rejected(project, text, "jsonl")
    assert errors == [RowError(None, "No item has a value for 'title'; keys found: id, name.")]


def test_a_field_some_records_have_is_still_reported_row_by_row():
    project = ProjectFactory()
    errors = import_rejected(project, '{"title": "ok"}\n{"title": ""}\n{"name": "x"}\n', "jsonl")
    assert [(e.line, e.reason) for e in errors] == [
        (2, "The field 'title' is missing or empty."), (3, "The field 'title' is missing or empty.")]


# --- Gold labels in another case --------------------------------------------------------------------

def test_gold_labels_match_ignoring_case_and_are_stored_as_the_label_is_named():
    project = ProjectFactory(labels=["Phone", "TV"])
    import_text(project, "id,title,gold\n1,a,phone\n2,b,tv\n3,c,TV\n")
    assert {key: item.gold for key, item in items_by_external_id(project).items()} == {"1": "Phone", "2": "TV", "3": "TV"}


def test_multi_label_and_span_gold_match_ignoring_case():
    project = ProjectFactory(multi_label=True)
    import_text(project, "id,title,gold\n1,a,phone|tv\n")
    assert items_by_external_id(project)["1"].gold == ["Phone", "TV"]
    spans = schemas.answer_clean(task_type="span", label_names=["PER"], text="Ada", fold_case=True,
                                 value=[{"start": 0, "end": 3, "label": "per"}])
    assert spans == [{"start": 0, "end": 3, "label": "PER"}]


def test_case_folding_needs_exactly_one_match_and_is_off_for_answers():
    with pytest.raises(schemas.SchemaError, match="Unknown label 'phone'"):
        schemas.answer_clean(task_type="single_label", label_names=["Phone", "PHONE"], value="phone", fold_case=True)
    assert schemas.answer_clean(task_type="single_label", label_names=["Phone", "PHONE"], value="PHONE",
                                fold_case=True) == "PHONE"
    with pytest.raises(schemas.SchemaError, match="Unknown label 'phone'"):
        schemas.answer_clean(task_type="single_label", label_names=["Phone"], value="phone")
