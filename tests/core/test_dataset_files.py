import pytest

from core.dataset_files import bio_to_spans, crowd_answers, crowd_truth, pricerunner_titles


def test_bio_to_spans_joins_words_and_opens_a_span_per_b_tag_or_stray_i_tag():
    record = bio_to_spans(["red", "smart", "phone", "case", "blue"], ["B-colour", "B-product", "I-product", "O", "I-colour"])
    assert record["text"] == "red smart phone case blue"
    assert [(record["text"][s["start"]:s["end"]], s["label"]) for s in record["spans"]] == [
        ("red", "colour"), ("smart phone", "product"), ("blue", "colour"),
    ]


def test_an_o_word_ends_a_span_even_when_the_same_kind_follows():
    record = bio_to_spans(["red", "and", "blue"], ["B-colour", "O", "I-colour"])
    assert [(s["start"], s["end"]) for s in record["spans"]] == [(0, 3), (8, 12)]


def test_pricerunner_titles_keep_the_first_of_titles_alike_but_for_case(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("Product ID,Product Title, Merchant ID, Cluster ID, Cluster Label, Category ID, Category Label\n"
                    "1,Apple iPhone,1,1,iPhone,2612,Mobile Phones\n2,apple iphone ,2,1,iPhone,2612,Mobile Phones\n"
                    "3,LG fridge,3,2,LG,2615, Fridges\n")
    assert pricerunner_titles(path) == [
        {"product_id": "1", "title": "Apple iPhone", "category": "Mobile Phones"},
        {"product_id": "3", "title": "LG fridge", "category": "Fridges"},
    ]


def test_crowd_files_keep_repeated_answers_and_refuse_a_task_with_two_truths(tmp_path):
    (tmp_path / "answers.csv").write_text("task,worker,label\nt1,a,x\nt1,a,x\nt2,b,y\n")
    assert crowd_answers(tmp_path / "answers.csv") == (["t1", "t1", "t2"], ["a", "a", "b"], ["x", "x", "y"])
    (tmp_path / "truth.csv").write_text("task,label\nt1,x\nt1,y\n")
    with pytest.raises(ValueError, match="line 3: task 't1' is given two labels"):
        crowd_truth(tmp_path / "truth.csv")
    (tmp_path / "answers.csv").write_text("task,worker,label\nt1,,x\n")
    with pytest.raises(ValueError, match="line 2: task, worker and label must all be present"):
        crowd_answers(tmp_path / "answers.csv")
