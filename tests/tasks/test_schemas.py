import pytest

from tasks import schemas
from tasks.schemas import SchemaError

LABELS = ["Phone", "TV"]


def test_label_schema_gets_colours_and_lowercase_shortcuts():
    cleaned = schemas.label_schema_clean({"labels": ["Phone", {"name": " TV ", "shortcut": "T"}]})
    assert [l["name"] for l in cleaned["labels"]] == ["Phone", "TV"]
    assert cleaned["labels"][1]["shortcut"] == "t"
    assert all(l["color"].startswith("#") for l in cleaned["labels"])


@pytest.mark.parametrize("schema, message", [
    ({"labels": [{"name": ""}]}, "name is empty"),
    ({"labels": ["A", "a"]}, "used twice"),
    ({"labels": [{"name": "A", "color": "red"}]}, "colour"),
    ({"labels": [{"name": "A", "color": "#1F77B4"}, {"name": "B", "color": "#1f77b4"}]}, "colour #1f77b4 is used twice"),
    ({"labels": [{"name": "A", "shortcut": "ab"}]}, "one key"),
    ({"labels": [{"name": "A", "size": 3}]}, "unknown keys"),
    ({"labels": "A,B"}, "must be a list"),
    ([], "must be an object"),
])
def test_bad_label_schemas_are_refused_with_the_reason(schema, message):
    with pytest.raises(SchemaError, match=message):
        schemas.label_schema_clean(schema)


def test_more_labels_than_the_palette_may_share_default_colours():
    cleaned = schemas.label_schema_clean({"labels": [f"L{n}" for n in range(12)]})
    assert cleaned["labels"][0]["color"] == cleaned["labels"][10]["color"]


def test_publish_problems():
    assert schemas.publish_problems(task_type="single_label", label_names=[], item_count=0) == [
        "The project has no labels.", "The project has no items."]
    assert "at least two" in schemas.publish_problems(task_type="single_label", label_names=["A"], item_count=3)[0]
    assert schemas.publish_problems(task_type="span", label_names=["PER"], item_count=3) == []


def test_item_text_is_normalised_and_empty_items_refused():
    data = schemas.item_data_clean(task_type="single_label", item_fields=["title"], data={"title": "  Apple \n iPhone\t8 "})
    assert data == {"title": "Apple iPhone 8"}
    with pytest.raises(SchemaError, match="'title' is missing or empty"):
        schemas.item_data_clean(task_type="single_label", item_fields=["title"], data={"title": "   "})


def test_oversized_and_wrongly_typed_fields_are_refused():
    with pytest.raises(SchemaError, match="longer than"):
        schemas.item_data_clean(task_type="span", item_fields=[], data={"text": "x" * 10_001})
    with pytest.raises(SchemaError, match="must be text"):
        schemas.item_data_clean(task_type="span", item_fields=[], data={"text": ["a"]})


def test_pairwise_needs_both_records_and_media_needs_a_url():
    with pytest.raises(SchemaError, match="'right' record is missing"):
        schemas.item_data_clean(task_type="pairwise", item_fields=["name"], data={"left": {"name": "a"}})
    with pytest.raises(SchemaError, match="http"):
        schemas.item_data_clean(task_type="image", item_fields=[], data={"image": "javascript:alert(1)"})
    assert schemas.item_data_clean(task_type="image", item_fields=[], data={}, has_media=True) == {}


def test_answers_are_canonical():
    assert schemas.answer_clean(task_type="single_label", label_names=LABELS, value={"label": "TV"}) == "TV"
    assert schemas.answer_clean(task_type="multi_label", label_names=LABELS, value="TV|Phone|TV") == ["Phone", "TV"]
    spans = schemas.answer_clean(task_type="span", label_names=["PER"], text="Ada met Bob",
                                 value=[{"start": 8, "end": 11, "label": "PER"}, {"start": 0, "end": 3, "label": "PER"}])
    assert [s["start"] for s in spans] == [0, 8]


@pytest.mark.parametrize("task_type, value, message", [
    ("single_label", "Toaster", "Unknown label 'Toaster'"),
    ("single_label", ["TV"], "one label name"),
    ("multi_label", [], "non-empty list"),
    ("span", [{"start": 0, "end": 99, "label": "PER"}], "outside the text"),
    ("span", [{"start": 0, "end": 5, "label": "PER"}, {"start": 3, "end": 7, "label": "PER"}], "overlap"),
    ("span", [{"start": 0, "end": 3}], "must have start, end and label"),
    ("span", [{"start": True, "end": 3, "label": "PER"}], "whole numbers"),
])
def test_bad_answers_are_refused_with_the_reason(task_type, value, message):
    names = ["PER"] if task_type == "span" else LABELS
    with pytest.raises(SchemaError, match=message):
        schemas.answer_clean(task_type=task_type, label_names=names, value=value, text="Ada met Bob")
