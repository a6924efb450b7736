"""One definition of a span offset, Unicode code points, on the server side: validation and the training
export's BIO tags cut the same words the page marked (tests/annotations/test_browser_offsets.py)."""

import json

import pytest

from tasks import schemas
from tests.tasks.factories import ProjectFactory
from tests.tasks.importing import import_rejected, import_text, items_by_external_id
from training.ml.datasets import bio_tags

TEXT = "📱 phone case x\u0301yz 👟 running shoe שלום עולם"
SPANS = [{"start": 2, "end": 7, "label": "product"}, {"start": 13, "end": 17, "label": "model"},
         {"start": 20, "end": 32, "label": "product"}, {"start": 38, "end": 42, "label": "brand"}]


def test_code_point_offsets_cut_the_words_on_emoji_combining_marks_and_rtl_text():
    cleaned = schemas.answer_clean(task_type="span", label_names=["product", "model", "brand"], value=SPANS, text=TEXT)
    assert [TEXT[s["start"]:s["end"]] for s in cleaned] == ["phone", "x\u0301yz", "running shoe", "עולם"]


def test_the_last_word_after_an_emoji_can_be_marked_but_not_past_the_end():
    text = "👟 running shoe"
    assert schemas.answer_clean(task_type="span", label_names=["p"], value=[{"start": 10, "end": 14, "label": "p"}],
                                text=text) == [{"start": 10, "end": 14, "label": "p"}]
    with pytest.raises(schemas.SchemaError, match="outside the text"):  # UTF-16 offsets would end at 15
        schemas.answer_clean(task_type="span", label_names=["p"], value=[{"start": 11, "end": 15, "label": "p"}],
                             text=text)


def test_the_training_export_tags_the_same_words():
    words, tags = bio_tags(TEXT, SPANS, ["product", "model", "brand"])
    tagged = [(word, tag) for word, tag in zip(words, tags) if tag != "O"]
    assert tagged == [("phone", "B-product"), ("x\u0301yz", "B-model"), ("running", "B-product"),
                      ("shoe", "I-product"), ("עולם", "B-brand")]


@pytest.mark.django_db
@pytest.mark.parametrize("raw_text, words", [
    ("iphone  8   case", ["8", "case"]),                        # whitespace runs collapse
    ("  📱 phone\tcase ", ["phone", "case"]),                    # leading whitespace and a tab
    ("cafe\u0301 noir  cup", ["noir", "cup"]),                    # e + U+0301 composes into one code point
    ("🇫🇷  flag  👨\u200d👩\u200d👧 family", ["🇫🇷", "family"]),   # flags and ZWJ sequences kept whole
])
def test_gold_spans_counted_on_the_file_text_cover_the_same_words_once_stored(raw_text, words):
    """The importer stores text normalised (NFC, whitespace collapsed); gold offsets counted on the text as the
    file gives it used to land on other characters (a gold check that marks right answers wrong)."""
    project = ProjectFactory(span=True)
    spans = []
    for word in words:
        start = raw_text.index(word)
        spans.append({"start": start, "end": start + len(word), "label": "ORG"})
    line = json.dumps({"external_id": "g1", "text": raw_text, "gold": spans}, ensure_ascii=False)
    import_text(project, line, file_format="jsonl")
    item = items_by_external_id(project)["g1"]
    stored = item.data["text"]
    assert stored == schemas.normalise_text(raw_text) != raw_text
    assert [stored[s["start"]:s["end"]] for s in item.gold] == [schemas.normalise_text(word) for word in words]


@pytest.mark.django_db
def test_a_gold_span_that_splits_a_composed_character_is_refused():
    project = ProjectFactory(span=True)
    line = json.dumps({"external_id": "g1", "text": "cafe\u0301  noir", "gold": [{"start": 0, "end": 4, "label": "ORG"}]})
    errors = import_rejected(project, line, file_format="jsonl")
    assert "does not cover whole characters" in errors[0].reason


@pytest.mark.django_db
def test_gold_spans_on_text_stored_as_given_are_untouched():
    project = ProjectFactory(span=True)
    line = json.dumps({"external_id": "g1", "text": "phone case", "gold": [{"start": 5, "end": 10, "label": "ORG"}]})
    import_text(project, line, file_format="jsonl")
    assert items_by_external_id(project)["g1"].gold == [{"start": 5, "end": 10, "label": "ORG"}]
