import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from tasks.importing import ImportRejected, RowError, data_content_hash, items_import, service
from tasks.management.commands import import_items
from tasks.models import Item, ItemState
from tests.tasks.factories import ItemFactory, ProjectFactory
from tests.tasks.importing import import_rejected, import_text, items_by_external_id, text_file

pytestmark = pytest.mark.django_db


# --- Happy paths ------------------------------------------------------------------------------------

def test_csv_rows_become_items_with_gold():
    project = ProjectFactory()
    text = "id,title,gold,gold_explanation\n1,iPhone 8,Phone,a phone\n\n2,Bravia 55,,\n3,Ryzen 7,CPU,\n\n"
    report = import_text(project, text)
    assert (report.created, report.updated, report.duplicates, report.total_rows) == (3, 0, [], 3)
    items = items_by_external_id(project)
    assert items["1"].data == {"title": "iPhone 8"}
    assert (items["1"].is_gold, items["1"].gold, items["1"].gold_explanation) == (True, "Phone", "a phone")
    assert (items["2"].is_gold, items["2"].gold) == (False, None)
    assert items["3"].gold == "CPU"
    assert items["1"].content_hash == data_content_hash({"title": "iPhone 8"})
    assert "3 items created" in report.summary().replace("item(s)", "items")


def test_jsonl_rows_become_items():
    project = ProjectFactory()
    text = '{"external_id": "a", "title": "iPhone 8", "gold": "Phone"}\n\n{"id": 7, "title": "Bravia"}\n'
    report = import_text(project, text, "jsonl")
    assert report.created == 2
    items = items_by_external_id(project)
    assert items["a"].gold == "Phone"
    assert items["7"].data == {"title": "Bravia"} and not items["7"].is_gold


def test_json_array_rows_become_items_and_nested_pairwise_records_map_as_they_are():
    project = ProjectFactory(pairwise=True)
    rows = [
        {"id": "p1", "left": {"title": "iPhone 8 64GB"}, "right": {"title": "Apple iPhone 8 (64 GB)"},
         "gold": "Same product"},
        {"id": "p2", "left": {"title": "iPhone 8"}, "right": {"title": "Galaxy S9"}},
    ]
    report = import_text(project, json.dumps(rows), "json")
    assert report.created == 2
    items = items_by_external_id(project)
    assert items["p1"].data == {"left": {"title": "iPhone 8 64GB"}, "right": {"title": "Apple iPhone 8 (64 GB)"}}
    assert items["p1"].gold == "Same product" and not items["p2"].is_gold


def test_format_comes_from_the_file_name():
    project = ProjectFactory()
    report = items_import(project=project, source=text_file('[{"title": "iPhone"}]'), filename="items.JSON")
    assert report.created == 1
    with pytest.raises(ImportRejected, match="Cannot tell the format of 'items.txt'"):
        items_import(project=project, source=text_file("title\nx\n"), filename="items.txt")


def test_uploaded_files_are_read_in_place_with_crlf_line_endings():
    project = ProjectFactory()
    upload = SimpleUploadedFile("items.csv", b'id,title\r\n1,a\r\n2,"b\r\nc"\r\n3,\r\n')
    with pytest.raises(ImportRejected) as rejected:
        items_import(project=project, source=upload, filename=upload.name)
    assert rejected.value.errors == [RowError(5, "The field 'title' is missing or empty.")]
    upload = TemporaryUploadedFile("items.json", "application/json", 0, "utf-8")
    upload.write(b'[{"id": "t", "title": "from a temporary file"}]')
    assert items_import(project=project, source=upload, filename=upload.name).created == 1
    assert items_by_external_id(project)["t"].data == {"title": "from a temporary file"}


def test_api_rows_import_from_a_list():
    project = ProjectFactory()
    report = items_import(project=project, source=[{"external_id": "x", "title": "iPhone", "gold": "Phone"}])
    assert report.created == 1 and items_by_external_id(project)["x"].gold == "Phone"
    with pytest.raises(ImportRejected) as rejected:
        items_import(project=project, source=[{"title": "ok"}, {"title": ["a", "list"]}])
    assert [(e.line, e.unit) for e in rejected.value.errors] == [(2, "item")]
    assert "must be text, not list" in rejected.value.errors[0].reason


# --- Mapping ----------------------------------------------------------------------------------------

def test_mapping_picks_columns_and_ignores_the_rest():
    project = ProjectFactory(labels=["Mobile Phones", "TVs"])
    text = "Product ID,Product Title, Merchant ID, Category Label\n1,apple iphone 8,7,Mobile Phones\n2,bravia,9,TVs\n"
    mapping = {"external_id": "Product ID", "fields": {"title": "Product Title"}, "gold": " Category Label"}
    assert import_text(project, text, mapping=mapping).created == 2
    assert items_by_external_id(project)["1"].data == {"title": "apple iphone 8"}
    assert items_by_external_id(project)["2"].gold == "TVs"


def test_mapping_of_pairwise_fields_nests_them():
    project = ProjectFactory(pairwise=True)
    text = "pair,a,b\nx,iPhone 8,Apple iPhone 8\n"
    mapping = {"external_id": "pair", "fields": {"left.title": "a", "right.title": "b"}}
    import_text(project, text, mapping=mapping)
    assert items_by_external_id(project)["x"].data == {"left": {"title": "iPhone 8"}, "right": {"title": "Apple iPhone 8"}}


def test_mapping_for_json_rows_reads_keys_and_dotted_paths():
    project = ProjectFactory()
    text = '{"sku": "s1", "product": {"name": "iPhone"}, "category": "Phone", "price": 3}\n'
    mapping = {"external_id": "sku", "fields": {"title": "product.name"}, "gold": "category"}
    import_text(project, text, "jsonl", mapping=mapping)
    item = items_by_external_id(project)["s1"]
    assert (item.data, item.gold) == ({"title": "iPhone"}, "Phone")


def test_mapping_naming_an_unknown_column_is_refused_before_any_row():
    project = ProjectFactory()
    errors = import_rejected(project, "id,title\n1,iPhone\n", mapping={"fields": {"title": "Titel"}})
    reason = ("The mapping names the column 'Titel', which is not in the header; columns found: id, title; "
              "delimiter guessed: comma (,); encoding guessed: utf-8.")
    assert errors == [RowError(None, reason)]


@pytest.mark.parametrize("mapping, reason", [
    ({"columns": {}}, "unknown keys ['columns']"),
    ({"fields": ["title"]}, "'fields' must be an object"),
    ({"gold": 3}, "'gold' must name a column"),
    ("title", "must be an object"),
])
def test_a_malformed_mapping_is_refused(mapping, reason):
    errors = import_rejected(ProjectFactory(), "title\nx\n", mapping=mapping)
    assert len(errors) == 1 and reason in errors[0].reason


def test_pairwise_mapping_fields_must_name_a_side():
    errors = import_rejected(ProjectFactory(pairwise=True), "a,b\nx,y\n", mapping={"fields": {"title": "a"}})
    assert "'left.<field>' or 'right.<field>'" in errors[0].reason


# --- Bad rows: the whole file is refused ------------------------------------------------------------

def test_one_bad_row_among_thousands_is_named_by_line_and_nothing_is_stored():
    project = ProjectFactory()
    rows = [f"{n},Product number {n},Phone" for n in range(1, 3001)]
    rows[1499] = "1500,Product number 1500,Toaster"  # the 1,500th record: line 1,501 (the header is line 1)
    errors = import_rejected(project, "id,title,gold\n" + "\n".join(rows) + "\n")
    assert errors == [RowError(1501, "The gold answer: Unknown label 'Toaster'; the labels are Phone, TV, CPU.")]


def test_each_kind_of_bad_csv_row_is_reported_with_its_line():
    project = ProjectFactory()
    text = (
        "id,title,gold\n"                      # line 1
        "1,fine,Phone\n"                       # 2
        "2,,Phone\n"                           # 3: empty item
        '3,"two\nlines",Toaster\n'             # 4-5: unknown gold label, the record starts on line 4
        f"4,{'x' * 10_001},\n"                 # 6: oversized value
        "5,too,many,cells\n"                   # 7
        "1,same id again,\n"                   # 8: external id used twice
        f"{'i' * 256},long id,\n"              # 9
    )
    errors = import_rejected(project, text)
    assert [e.line for e in errors] == [3, 4, 6, 7, 8, 9] and {e.unit for e in errors} == {"line"}
    reasons = [e.reason for e in errors]
    assert "The field 'title' is missing or empty." == reasons[0]
    assert "Unknown label 'Toaster'" in reasons[1]
    assert "longer than 10000 characters" in reasons[2]
    assert reasons[3] == "has 4 values; the header has 3 columns."
    assert "'1' is used by an earlier row" in reasons[4]
    assert "longer than 255" in reasons[5]


def test_each_kind_of_bad_jsonl_row_is_reported_with_its_line():
    project = ProjectFactory()
    text = (
        '{"title": "fine"}\n\n{"title": "broken"\n["not", "an object"]\n'
        '{"title": {"nested": 1}}\n{}\n{"id": 1.5, "title": "x"}\n'
    )
    errors = import_rejected(project, text, "jsonl")
    assert [e.line for e in errors] == [3, 4, 5, 6, 7]
    assert errors[0].reason.startswith("is not valid JSON")
    assert errors[1].reason == "must be a JSON object of fields, not an array."
    assert errors[2].reason == "The field 'title' must be text, not dict."
    assert errors[3].reason == "The field 'title' is missing or empty."
    assert "external id must be text or a whole number, not float" in errors[4].reason
    assert "Line 3: is not valid JSON" in ImportRejected(errors).message()


def test_bad_elements_of_a_json_array_are_named_by_position():
    project = ProjectFactory()
    errors = import_rejected(project, '[{"title": "ok"}, "text", {"title": "ok too"}, {"title": true}]', "json")
    assert [(e.line, e.unit) for e in errors] == [(2, "item"), (4, "item")]
    assert str(errors[0]) == "Item 2: must be a JSON object of fields, not a string."


@pytest.mark.parametrize("text, error", [
    (b'[{"title": "a"}, {"title": "b",, }]', RowError(
        2, "is malformed JSON (parse error: invalid object key (must be a string)); reading stopped here.", "item")),
    (b'[{"title": "a"}, {"title": "b"}', RowError(
        3, "is malformed JSON (parse error: premature EOF); reading stopped here.", "item")),
    (b'[{"title": "a"}, {"title": "caf\xe9"}]', RowError(
        2, "is not UTF-8 text; save the file as UTF-8. Reading stopped here.", "item")),
    (b'[{"title": "a"}] {}', RowError(None, "There is more after the end of the JSON array (after item 1).")),
])
def test_malformed_json_array_is_named_by_element_and_stores_nothing(text, error):
    assert import_rejected(ProjectFactory(), text, "json") == [error]


def test_a_json_file_that_is_not_an_array_is_refused():
    errors = import_rejected(ProjectFactory(), '\xef\xbb\xbf  {"title": "a"}'.encode("latin-1"), "json")
    assert errors[0].reason.startswith("A JSON file must hold an array")


def test_a_line_past_the_sample_that_does_not_fit_the_guessed_encoding_is_refused_with_the_line():
    project = ProjectFactory()
    head = "id,title\n" + "".join(f"{n},product {n} café\n" for n in range(5000))  # UTF-8 well past the sample
    text = head.encode() + "x1,caf\xe9\nx2,na\xefve\n".encode("latin-1")
    errors = import_rejected(project, text)
    assert [e.line for e in errors] == [5002, 5003]
    assert "is not UTF-8 text (byte 0xe9" in errors[0].reason


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column():
    project = ProjectFactory()
    import_text(project, "\ufeffid,title\n1,café\n".encode())
    assert items_by_external_id(project)["1"].data == {"title": "café"}


@pytest.mark.parametrize("text, reason", [("", "The file is empty"), ("id,title\n", "The file has no items.")])
def test_an_empty_file_is_refused(text, reason):
    errors = import_rejected(ProjectFactory(), text)
    assert reason in errors[0].reason


def test_the_list_of_bad_rows_is_capped_and_the_rest_counted():
    project = ProjectFactory()
    with pytest.raises(ImportRejected) as rejected:
        import_text(project, "id,title\n" + "".join(f"{n},\n" for n in range(1005)))
    assert len(rejected.value.errors) == 1000 and rejected.value.more == 5
    assert "1005 problems" in rejected.value.message()


def test_a_failure_while_storing_rolls_back_the_batches_already_written(monkeypatch):
    project = ProjectFactory()
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    original, calls = service._BatchWriter.write, []

    def failing_write(writer, batch):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return original(writer, batch)

    monkeypatch.setattr(service._BatchWriter, "write", failing_write)
    with pytest.raises(RuntimeError):
        import_text(project, "title\na\nb\nc\nd\n")
    assert not Item.objects.filter(project=project).exists()


# --- Re-import, duplicates, cleaning ----------------------------------------------------------------

def test_new_items_start_with_the_project_overlap_as_open_slots():
    project = ProjectFactory(overlap=4, max_overlap=6)
    import_text(project, "id,title,gold\n1,iPhone,\n2,Bravia,TV\n")
    assert [item.open_slots for item in items_by_external_id(project).values()] == [4, 4]


def test_reimport_updates_items_by_external_id_and_leaves_their_state_alone():
    project = ProjectFactory()
    import_text(project, "id,title,gold\n1,iPhone,Phone\n2,Bravia,TV\n")
    Item.objects.filter(project=project, external_id="1").update(state=ItemState.COLLECTING, open_slots=1)
    report = import_text(project, "id,title,gold\n1,iPhone 8 Plus,Phone\n2,Bravia,\n3,Ryzen,CPU\n")
    assert (report.created, report.updated) == (1, 2)
    items = items_by_external_id(project)
    assert len(items) == 3
    assert items["1"].data == {"title": "iPhone 8 Plus"}
    assert (items["1"].state, items["1"].open_slots) == (ItemState.COLLECTING, 1)
    assert items["1"].content_hash == data_content_hash({"title": "iPhone 8 Plus"})
    assert (items["2"].is_gold, items["2"].gold) == (False, None)


def test_reimporting_a_file_without_ids_does_not_duplicate():
    project = ProjectFactory()
    text = "title,gold\niPhone,Phone\nBravia,TV\n"
    import_text(project, text)
    report = import_text(project, text)
    assert (report.created, report.updated, report.duplicates) == (0, 2, [])
    assert Item.objects.filter(project=project).count() == 2


def test_exact_duplicates_in_the_file_and_in_the_project_are_skipped_and_reported():
    project = ProjectFactory()
    ItemFactory(project=project, external_id="old", data={"title": "Galaxy S9"})
    text = "id,title\n1,Apple  iPhone 8\n2,Galaxy S9\n3, Apple iPhone 8 \n4,Bravia\n"
    report = import_text(project, text)
    assert (report.created, report.updated) == (2, 0)
    assert [(d.line, d.external_id, d.duplicate_of) for d in report.duplicates] == [(3, "2", "old"), (4, "3", "1")]
    assert set(items_by_external_id(project)) == {"old", "1", "4"}


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_duplicates_are_found_across_batches(monkeypatch, batch_size):
    project = ProjectFactory()
    monkeypatch.setattr(service, "BATCH_SIZE", batch_size)
    report = import_text(project, "title\nsame\nother\nsame\nsame\n")
    assert (report.created, len(report.duplicates)) == (2, 2)
    assert [d.line for d in report.duplicates] == [4, 5]
    report = import_text(project, "title\nsame\nother\nsame\nsame\n")
    assert (report.created, report.updated, len(report.duplicates)) == (0, 2, 2)
    assert Item.objects.filter(project=project).count() == 2


def test_an_item_rewritten_in_the_same_file_frees_its_old_content():
    project = ProjectFactory()
    import_text(project, "id,title\n1,iPhone\n")
    report = import_text(project, "id,title\n1,iPhone 8\n2,iPhone\n")
    assert (report.created, report.updated, report.duplicates) == (1, 1, [])
    assert items_by_external_id(project)["2"].data == {"title": "iPhone"}


def test_a_schema_changed_between_the_passes_stores_nothing():
    project = ProjectFactory()
    type(project).objects.filter(pk=project.pk).update(item_fields=["title", "brand"])
    errors = import_rejected(project, "title\niPhone\n")
    assert "changed during the import" in errors[0].reason


def test_whitespace_is_normalised_on_the_way_in():
    project = ProjectFactory()
    import_text(project, 'id,title,gold,gold_explanation\n 1 ,"  Apple\t iPhone \n 8  ", Phone ,"it  rings"\n')
    item = items_by_external_id(project)["1"]
    assert (item.data, item.gold, item.gold_explanation) == ({"title": "Apple iPhone 8"}, "Phone", "it rings")


# --- Gold answers per task type --------------------------------------------------------------------

def test_multi_label_gold_from_a_pipe_list_or_json_list():
    project = ProjectFactory(multi_label=True)
    import_text(project, 'id,title,gold\n1,a,TV|Phone\n2,b,"[""CPU""]"\n3,c,\n')
    items = items_by_external_id(project)
    assert items["1"].gold == ["Phone", "TV"] and items["2"].gold == ["CPU"] and not items["3"].is_gold
    errors = import_rejected(ProjectFactory(multi_label=True), "id,title,gold\n1,a,TV|Radio\n")
    assert "Unknown label 'Radio'" in errors[0].reason


def test_span_gold_offsets_count_characters_of_the_cleaned_text():
    project = ProjectFactory(span=True)
    spans = [{"start": 0, "end": 5, "label": "PER"}, {"start": 15, "end": 20, "label": "ORG"}]
    rows = [{"id": "s1", "text": "Alice  works at Acme.", "gold": spans}, {"id": "s2", "text": "No gold here"}]
    import_text(project, "\n".join(json.dumps(row) for row in rows), "jsonl")
    items = items_by_external_id(project)
    assert items["s1"].data == {"text": "Alice works at Acme."}
    assert items["s1"].gold == spans and not items["s2"].is_gold


def test_span_gold_in_csv_is_json_and_is_checked_against_the_text():
    project = ProjectFactory(span=True)
    import_text(project, 'id,text,gold\n1,Bob,"[{""start"": 0, ""end"": 3, ""label"": ""PER""}]"\n')
    assert items_by_external_id(project)["1"].gold == [{"start": 0, "end": 3, "label": "PER"}]
    text = 'id,text,gold\n1,Bob,"[{""start"": 0, ""end"": 9, ""label"": ""PER""}]"\n2,Al,[oops\n'
    errors = import_rejected(ProjectFactory(span=True), text)
    assert [e.line for e in errors] == [2, 3]
    assert "outside the text (length 3)" in errors[0].reason
    assert "not valid JSON" in errors[1].reason


def test_pairwise_items_from_dotted_csv_columns_with_gold():
    project = ProjectFactory(pairwise=True)
    import_text(project, "id,left.title,right.title,gold\n1,iPhone 8,Apple iPhone 8,Same product\n")
    item = items_by_external_id(project)["1"]
    assert item.data == {"left": {"title": "iPhone 8"}, "right": {"title": "Apple iPhone 8"}}
    assert item.gold == "Same product"
    errors = import_rejected(ProjectFactory(pairwise=True), "id,left.title,right.title,gold\n1,iPhone 8,,Same product\n")
    assert "right" in errors[0].reason


# --- The management command -------------------------------------------------------------------------

def test_command_imports_a_file_and_prints_the_summary(tmp_path, capsys):
    project = ProjectFactory(title="Phones")
    path = tmp_path / "items.csv"
    path.write_text("Product,Name\np1,iPhone\np2,Bravia\n", encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"external_id": "Product", "fields": {"title": "Name"}}))
    call_command("import_items", "Phones", str(path), "--mapping", str(mapping))
    assert "2 item(s) created" in capsys.readouterr().out
    assert set(items_by_external_id(project)) == {"p1", "p2"}


def test_command_lists_bad_rows_and_exits_with_status_1(tmp_path, capsys, monkeypatch):
    # run_from_argv closes every connection on the way out, the test's own included.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    project = ProjectFactory()
    path = tmp_path / "items.data"
    path.write_text('{"id": "a", "title": "ok"}\n{"id": "b", "title": "ok", "gold": "Toaster"}\n')
    # As `manage.py import_items` runs it, minus django.setup(): that would reconfigure logging onto
    # this test's captured stderr, which pytest closes afterwards (every later log line then errors).
    with pytest.raises(SystemExit) as exit_:
        import_items.Command().run_from_argv(["manage.py", "import_items", str(project.pk), str(path), "--format", "jsonl"])
    assert exit_.value.code == 1
    assert "Line 2: The gold answer: Unknown label 'Toaster'" in capsys.readouterr().err
    assert not Item.objects.filter(project=project).exists()


def test_command_refuses_an_unknown_project(tmp_path):
    with pytest.raises(CommandError, match="No project has the id or title 'Nope'"):
        call_command("import_items", "Nope", str(tmp_path / "x.csv"))


# --- Concurrency ------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_content_at_once_store_it_once(monkeypatch):
    """Both imports reach pass 2 together (a barrier holds the first until the second arrives, or gives up
    after a second because the project lock keeps the second out): the content is stored once either way."""
    import threading

    from django.db import connection

    project = ProjectFactory()
    titles = [f"Product {n}" for n in range(300)]
    files = {prefix: "id,title\n" + "".join(f"{prefix}{n},{t}\n" for n, t in enumerate(titles)) for prefix in "ab"}
    barrier, original_find = threading.Barrier(2, timeout=1), service._Existing.find.__func__

    def find_together(cls, *args):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return original_find(cls, *args)

    monkeypatch.setattr(service._Existing, "find", classmethod(find_together))
    reports, failures = [], []

    def run(prefix):
        try:
            reports.append(import_text(project, files[prefix]))
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(prefix,)) for prefix in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Item.objects.filter(project=project).count() == 300
    assert sorted((r.created, len(r.duplicates)) for r in reports) == [(0, 300), (300, 0)]


def test_an_external_id_used_three_times_is_reported_on_each_later_row():
    errors = import_rejected(ProjectFactory(), "id,title\na,one\nb,two\na,three\nc,four\na,five\n")
    assert [(e.line, e.reason) for e in errors] == [
        (4, "the external id 'a' is used by an earlier row too."), (6, "the external id 'a' is used by an earlier row too.")]


def test_external_ids_that_share_a_digest_are_still_told_apart(monkeypatch):
    """Pass 1 keeps 8-byte digests of the ids; two different ids with the same digest are no repeat."""
    monkeypatch.setattr("tasks.importing.service._id_digest", lambda external_id: 7)
    errors = import_rejected(ProjectFactory(), "id,title\na,one\nb,two\nb,three\n")
    assert [e.line for e in errors] == [4]
    project = ProjectFactory()
    assert import_text(project, "id,title\na,one\nb,two\n").created == 2
