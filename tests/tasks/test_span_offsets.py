"""One definition of a span offset, Unicode code points, on the server side: validation and the training
export's BIO tags cut the same words the page marked (tests/annotations/test_browser_offsets.py)."""

import pytest

from tasks import schemas
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
