"""The training stage's ML core on a tiny BERT (2 layers, hidden 32) and synthetic data: seconds, no database."""
import datetime
import itertools

import numpy as np
import pytest
import torch
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertTokenizer,
)

from training.ml.datasets import (
    build_classification_dataset,
    build_token_dataset,
    snapshot_load,
    snapshot_save,
    split_texts,
)
from training.ml.encoding import IGNORED, align_word_labels
from training.ml.finetune import TrainConfig, TrainingCancelled, train, word_tags
from training.ml.metrics import classification_metrics, token_metrics
from training.ml.predict import Predictor, merge_word_tags

PRODUCT_WORDS = {"phone": ["phone", "smartphone", "iphone"], "tv": ["tv", "television", "oled"], "fridge": ["fridge", "freezer"]}
COLOURS = ["red", "blue", "black", "white"]
FILLERS = ["cheap", "new", "deal", "sale", "with", "case", "for", "kids", "big", "small", "smart"]
VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##s", *COLOURS, *FILLERS]
VOCABULARY += [word for words in PRODUCT_WORDS.values() for word in words]


@pytest.fixture(scope="module")
def tokenizer():
    return BertTokenizer(vocab={word: index for index, word in enumerate(VOCABULARY)})


def tiny_model(model_class, label_count, seed=0, **config):
    """Hidden 64, 2 layers: at hidden 32 some initial weights never told phone from tv; this learns from every seed tried.
    config overrides BertConfig's fields (dropout 0 where two runs must compute the same gradients)."""
    torch.manual_seed(seed)
    bert_config = BertConfig(
        vocab_size=len(VOCABULARY), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=128, max_position_embeddings=64, num_labels=label_count, **config,
    )
    return model_class(bert_config)


def product_records(count=120, seed=0):
    """Titles whose product word, wherever it stands, decides the label: "cheap red phone deal" -> phone."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(count):
        label = list(PRODUCT_WORDS)[i % 3]
        words = [rng.choice(FILLERS), rng.choice(COLOURS), rng.choice(PRODUCT_WORDS[label]), rng.choice(FILLERS)]
        records.append({"text": " ".join(rng.permutation(words)), "label": label})
    return records


def entity_records(count=120, seed=1):
    """"[filler] <colour> <product words> [filler]" with colour and product spans at their character offsets."""
    rng = np.random.default_rng(seed)
    products = ["phone", "smart tv", "fridge", "iphone case"]
    records = []
    for _ in range(count):
        lead = f"{rng.choice(FILLERS)} " if rng.random() < 0.5 else ""
        colour, product = rng.choice(COLOURS), rng.choice(products)
        tail = f" {rng.choice(FILLERS)}" if rng.random() < 0.5 else ""
        colour_start = len(lead)
        product_start = colour_start + len(colour) + 1
        spans = [
            {"start": colour_start, "end": colour_start + len(colour), "label": "colour"},
            {"start": product_start, "end": product_start + len(product), "label": "product"},
        ]
        records.append({"text": f"{lead}{colour} {product}{tail}", "spans": spans})
    return records


@pytest.fixture(scope="module")
def sequence_run(tmp_path_factory, tokenizer):
    dataset = build_classification_dataset(product_records(), list(PRODUCT_WORDS), seed=3, validation=0.15, test=0.15)
    progress = []
    config = TrainConfig(task="sequence", base_model="unused", epochs=8, learning_rate=1e-3, batch_size=8, max_length=16,
                         device="cpu", progress_seconds=0)
    output_dir = tmp_path_factory.mktemp("sequence_model")
    result = train(config, dataset, output_dir, on_progress=lambda *args: progress.append(args),
                   model=tiny_model(BertForSequenceClassification, 3), tokenizer=tokenizer)
    return result, progress


@pytest.fixture(scope="module")
def token_run(tmp_path_factory, tokenizer):
    dataset = build_token_dataset(entity_records(), ["colour", "product"], seed=3, validation=0.15, test=0.15)
    config = TrainConfig(task="token", base_model="unused", epochs=8, learning_rate=1e-3, batch_size=8, max_length=16, device="cpu")
    output_dir = tmp_path_factory.mktemp("token_model")
    return train(config, dataset, output_dir, model=tiny_model(BertForTokenClassification, 5), tokenizer=tokenizer)


def class_counts(split):
    names = split.features["label"].names
    return {name: int(n) for name, n in zip(names, np.bincount(split["label"], minlength=len(names)))}


def test_stratified_split_keeps_every_class_in_train():
    records = [{"text": f"a{i}", "label": "big"} for i in range(50)] + [{"text": f"b{i}", "label": "mid"} for i in range(20)]
    records += [{"text": "c0", "label": "pair"}, {"text": "c1", "label": "pair"}, {"text": "d0", "label": "single"}]
    dataset = build_classification_dataset(records, ["big", "mid", "pair", "single"], seed=5)

    assert class_counts(dataset["train"]) == {"big": 40, "mid": 16, "pair": 2, "single": 1}
    assert class_counts(dataset["validation"]) == {"big": 5, "mid": 2, "pair": 0, "single": 0}
    assert class_counts(dataset["test"]) == {"big": 5, "mid": 2, "pair": 0, "single": 0}
    texts = [set(dataset[split]["text"]) for split in ("train", "validation", "test")]
    assert set.union(*texts) == {r["text"] for r in records} and sum(map(len, texts)) == len(records)


def test_split_is_seeded_and_three_examples_give_one_to_each_split():
    records = [{"text": f"t{i}", "label": "x", "id": 100 + i} for i in range(3)]
    first = build_classification_dataset(records, ["x"], seed=1)
    assert [len(first[split]) for split in ("train", "validation", "test")] == [1, 1, 1]
    assert first["train"]["id"] == [str(100 + int(first["train"]["text"][0][1:]))]
    many = [{"text": f"t{i}", "label": "x"} for i in range(40)]
    test_texts = [build_classification_dataset(many, ["x"], seed=seed)["test"]["text"] for seed in (1, 1, 2)]
    assert test_texts[0] == test_texts[1] and test_texts[0] != test_texts[2]


def test_unknown_label_is_refused():
    with pytest.raises(ValueError, match="record 1"):
        build_classification_dataset([{"text": "a", "label": "x"}, {"text": "b", "label": "y"}], ["x"])


def test_token_dataset_turns_character_spans_into_bio_tags():
    text = "  Red  smart tv case for kid's"
    spans = [
        {"start": 7, "end": 15, "label": "product"},
        {"start": 2, "end": 5, "label": "colour"},
        {"start": 26, "end": 28, "label": "product"},  # inside "kid's": the whole word is tagged
    ]
    dataset = build_token_dataset([{"text": text, "spans": spans}], ["colour", "product"], validation=0, test=0)

    names = dataset["train"].features["ner_tags"].feature.names
    assert names == ["O", "B-colour", "I-colour", "B-product", "I-product"]
    row = dataset["train"][0]
    assert row["tokens"] == ["Red", "smart", "tv", "case", "for", "kid's"]
    assert [names[tag] for tag in row["ner_tags"]] == ["B-colour", "B-product", "I-product", "O", "O", "B-product"]
    with pytest.raises(ValueError, match="outside the text"):
        build_token_dataset([{"text": "abc", "spans": [{"start": 1, "end": 9, "label": "colour"}]}], ["colour"])


def test_snapshot_round_trip_keeps_rows_and_writes_counts(tmp_path, capsys):
    dataset = build_classification_dataset(product_records(30), list(PRODUCT_WORDS))
    created = datetime.datetime(2026, 1, 2, 3, 4, 5)
    folder = snapshot_save(dataset, tmp_path / "snap", {"project_id": 7, "created": created, "counts": "overridden"})
    assert "Saving the dataset" not in capsys.readouterr().err  # no progress bar in the workers' log

    loaded, manifest = snapshot_load(folder)
    assert {split: loaded[split]["text"] for split in loaded} == {split: dataset[split]["text"] for split in dataset}
    assert manifest["project_id"] == 7 and manifest["created"] == str(created)
    assert manifest["task"] == "sequence" and manifest["label_names"] == ["phone", "tv", "fridge"]
    assert manifest["counts"]["train"] == class_counts(dataset["train"])
    assert manifest["examples"] == {"train": 24, "validation": 3, "test": 3}


def test_token_snapshot_counts_entities_per_type(tmp_path):
    dataset = build_token_dataset(entity_records(10), ["colour", "product"], validation=0, test=0)
    _, manifest = snapshot_load(snapshot_save(dataset, tmp_path, {}))
    assert manifest["task"] == "token"
    assert manifest["counts"]["train"] == {"colour": 10, "product": 10}


def test_classification_metrics_match_a_hand_count():
    metrics = classification_metrics([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c", "never"])
    assert metrics["accuracy"] == pytest.approx(0.6)
    assert metrics["per_label"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert metrics["per_label"]["b"]["precision"] == pytest.approx(2 / 3) and metrics["per_label"]["b"]["f1"] == pytest.approx(0.8)
    assert metrics["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)  # "never" is in neither list
    assert metrics["confusion"][0] == [1, 1, 0, 0]


def test_token_metrics_count_only_exact_entities():
    gold = [["B-colour", "B-product", "I-product", "O"]]
    predicted = [["B-colour", "B-product", "O", "O"]]  # the product's extent is wrong: a miss and a false hit
    metrics = token_metrics(gold, predicted)
    assert metrics["precision"] == pytest.approx(0.5) and metrics["recall"] == pytest.approx(0.5)
    assert metrics["per_type"]["colour"]["f1"] == 1.0 and metrics["per_type"]["product"]["f1"] == 0.0
    assert metrics["per_type"]["product"]["support"] == 1


def test_merge_word_tags_joins_b_and_i_words():
    import re

    text = "x red  smart tv y"
    words = list(re.finditer(r"\S+", text))
    tags = {0: "O", 1: "B-colour", 2: "B-product", 3: "I-product", 4: "I-colour"}
    spans = merge_word_tags(words, tags, {i: 0.5 + i / 10 for i in range(5)})
    assert [(text[s["start"]:s["end"]], s["label"]) for s in spans] == [("red", "colour"), ("smart tv", "product"), ("y", "colour")]
    assert spans[1]["score"] == pytest.approx(0.75)


def test_word_labels_go_on_first_sub_tokens_and_truncated_words_count_as_o():
    labels, word_index = align_word_labels([None, 0, 1, 1, 2, None], [3, 4, 0])
    assert labels == [IGNORED, 3, 4, IGNORED, 0, IGNORED]
    assert word_index == [0, 1, 2]
    # word 2 of 4 lost all its sub-tokens and word 3 was cut off: both come back as "O"
    example = {"labels": [IGNORED, 1, 3, IGNORED, IGNORED], "word_index": [0, 1]}
    argmax = np.array([0, 1, 3, 4, 0])
    assert word_tags(example, argmax, 4, ["O", "B-colour", "I-colour", "B-product", "I-product"]) == ["B-colour", "B-product", "O", "O"]


def test_progress_is_reported_with_increasing_steps(sequence_run):
    result, progress = sequence_run
    steps = [step for step, _, _ in progress]
    validations = [row["step"] for row in result.history if "validation_score" in row]
    # no throttle: every step, and once more at each validation (an epoch's end), with its point for the curves
    assert steps == sorted(list(range(1, result.steps + 1)) + validations) and len(validations) == 8
    assert steps[-1] == result.steps == progress[-1][1] == 8 * 11  # 84 train rows / batch 8 = 11 batches per epoch
    assert all(np.isfinite(loss) and loss > 0 for _, _, loss in progress)
    assert progress[-1][2] < progress[0][2]


def test_progress_is_throttled_to_the_first_step_each_validation_and_the_last_within_the_interval(tokenizer, tmp_path):
    dataset = build_classification_dataset(product_records(), list(PRODUCT_WORDS), seed=3, validation=0.15, test=0.15)
    config = TrainConfig(task="sequence", base_model="unused", epochs=2, batch_size=8, max_length=16, device="cpu",
                         progress_seconds=3600)
    progress = []
    result = train(config, dataset, tmp_path, on_progress=lambda *args: progress.append(args),
                   model=tiny_model(BertForSequenceClassification, 3), tokenizer=tokenizer)
    # within the interval: the first step, the validation at each epoch's end (11 steps each) with the loss that led
    # to it, and the last step (its loss, then its validation)
    assert [step for step, _, _ in progress] == [1, 11, result.steps, result.steps] and result.steps == 2 * 11


def test_sequence_metrics_have_their_keys_and_the_task_is_learnt(sequence_run):
    result, _ = sequence_run
    assert set(result.metrics) == {"validation", "test"}
    test_metrics = result.metrics["test"]
    assert {"accuracy", "macro_f1", "per_label", "examples"} <= set(test_metrics)
    assert set(test_metrics["per_label"]) == set(PRODUCT_WORDS) and test_metrics["examples"] == 18
    assert 0.9 <= test_metrics["accuracy"] <= 1.0 and 0.9 <= test_metrics["macro_f1"] <= 1.0
    assert result.device == "cpu" and result.samples_per_s > 0 and result.wall_seconds > 0


def test_saved_sequence_model_predicts_labels(sequence_run):
    result, _ = sequence_run
    predictor = Predictor(result.output_dir, device="cpu")
    predictions = predictor.predict(["new black television sale", "cheap white freezer", "red iphone for kids"], batch_size=2)
    assert [p["label"] for p in predictions] == ["tv", "fridge", "phone"]
    for p in predictions:
        assert sum(p["scores"].values()) == pytest.approx(1.0, abs=1e-5) and p["score"] == max(p["scores"].values())


def test_should_stop_cancels_before_saving(tmp_path, tokenizer):
    dataset = build_classification_dataset(product_records(60), list(PRODUCT_WORDS))
    polls = itertools.count(1)
    config = TrainConfig(task="sequence", base_model="unused", epochs=5, batch_size=4, device="cpu")
    with pytest.raises(TrainingCancelled) as cancelled:
        train(config, dataset, tmp_path / "model", should_stop=lambda: next(polls) > 3,
              model=tiny_model(BertForSequenceClassification, 3), tokenizer=tokenizer)
    assert cancelled.value.step == 3 and cancelled.value.total_steps == 5 * 12
    assert not (tmp_path / "model" / "label_map.json").exists()  # no model saved (the checkpoints folder may be there)


def test_task_must_match_the_data_set(tmp_path, tokenizer):
    dataset = build_classification_dataset(product_records(30), list(PRODUCT_WORDS))
    config = TrainConfig(task="token", base_model="unused", device="cpu")
    with pytest.raises(ValueError, match="data set is for 'sequence'"):
        train(config, dataset, tmp_path, model=tiny_model(BertForTokenClassification, 3), tokenizer=tokenizer)


def test_token_metrics_are_entity_level_and_the_task_is_learnt(token_run):
    test_metrics = token_run.metrics["test"]
    assert {"precision", "recall", "f1", "per_type", "examples"} <= set(test_metrics)
    assert set(test_metrics["per_type"]) == {"colour", "product"}
    assert 0.9 <= test_metrics["f1"] <= 1.0 and token_run.steps == 8 * 11


def test_saved_token_model_returns_character_spans(token_run):
    predictor = Predictor(token_run.output_dir, device="cpu")
    texts = ["  deal   blue  smart tv  sale", "red phones", "", "new white fridge"]
    predictions = predictor.predict(texts, batch_size=3)

    found = [[(text[s["start"]:s["end"]], s["label"]) for s in p["spans"]] for text, p in zip(texts, predictions)]
    assert found == [
        [("blue", "colour"), ("smart tv", "product")],
        [("red", "colour"), ("phones", "product")],  # "phones" is two sub-tokens: phone ##s
        [],
        [("white", "colour"), ("fridge", "product")],
    ]
    assert predictions[0]["spans"][1]["start"] == 15 and all(0 < s["score"] <= 1 for s in predictions[0]["spans"])


def mixed_titles():
    """Titles of one to five words, not in length order, so sorting into sub-batches has work to do."""
    products = sum(PRODUCT_WORDS.values(), [])
    return [" ".join([*FILLERS[:i % 4], colour, product][-(1 + i % 5):])
            for i, (colour, product) in enumerate(itertools.product(COLOURS, products))]


def test_predictions_come_back_in_the_callers_order_whatever_the_sub_batches(sequence_run):
    result, _ = sequence_run
    texts = mixed_titles()
    predictor = Predictor(result.output_dir, device="cpu", backend="torch")
    alone = [predictor.predict([text])[0] for text in texts]
    for batched in (predictor.predict(texts, batch_size=3),
                    Predictor(result.output_dir, device="cpu", backend="torch", length_sorted=False).predict(texts, batch_size=5)):
        assert [p["label"] for p in batched] == [p["label"] for p in alone]
        assert np.allclose([p["score"] for p in batched], [p["score"] for p in alone], atol=1e-5)


def test_onnx_export_serves_the_same_labels_as_pytorch(sequence_run):
    from training.ml.onnx_export import INT8_FILE, export_onnx
    from training.ml.predict import Int8Cascade
    from training.ml.serving import cpu_backend

    result, _ = sequence_run
    texts = mixed_titles()
    torch_predictions = Predictor(result.output_dir, device="cpu", backend="torch").predict(texts)
    calibration = [record["text"] for record in product_records(seed=7)]
    assert export_onnx(result.output_dir, quantize=True, calibration_texts=calibration).name == INT8_FILE
    full = Predictor(result.output_dir, device="cpu", backend="onnx", prefer_int8=False)
    served = Predictor(result.output_dir, device="cpu")  # auto: the int8 cascade on ONNX Runtime
    assert (full.backend, served.backend) == ("onnx", "onnx") and isinstance(served.model, Int8Cascade)
    assert served.model.int8.path.endswith(INT8_FILE) and served.model.fallback_margin > 0
    assert (full.serving, served.serving) == ("onnx", "onnx-int8") == (cpu_backend(result.output_dir, False),
                                                                      cpu_backend(result.output_dir))
    for predictions in (full.predict(texts, batch_size=7), served.predict(texts)):
        assert [p["label"] for p in predictions] == [p["label"] for p in torch_predictions]
        assert all(abs(sum(p["scores"].values()) - 1) < 1e-4 for p in predictions)
    assert served.model.answered == len(texts)


def test_the_cascade_answers_its_unsure_texts_with_the_fp32_model(sequence_run):
    from training.ml.onnx_export import export_onnx

    result, _ = sequence_run
    texts = mixed_titles()
    export_onnx(result.output_dir, quantize=True, calibration_texts=texts)
    full = Predictor(result.output_dir, device="cpu", backend="onnx", prefer_int8=False).predict(texts)
    served = Predictor(result.output_dir, device="cpu")
    served.model.fallback_margin = 0.0  # int8 alone
    int8 = served.predict(texts)
    served.model.fallback_margin = 1.0  # every margin is below 1: all of them again in fp32
    again = served.predict(texts)
    assert served.model.recomputed == len(texts) and not np.allclose([p["score"] for p in int8], [p["score"] for p in full])
    assert np.allclose([p["score"] for p in again], [p["score"] for p in full], atol=1e-6)


def test_the_exported_classifier_computes_only_the_first_token_in_its_last_layer_and_gives_the_same_logits(sequence_run):
    from transformers import AutoModelForSequenceClassification

    from training.ml.onnx_export import FirstTokenLastLayer

    model = AutoModelForSequenceClassification.from_pretrained(sequence_run[0].output_dir).eval()
    assert FirstTokenLastLayer.fits(model)
    input_ids = torch.randint(5, len(VOCABULARY), (3, 9))
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 4:], attention_mask[2, 2:] = 0, 0  # padded rows: the mask must reach the hand-made attention
    token_type_ids = torch.zeros_like(input_ids)
    with torch.no_grad():
        whole = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits
        first_only = FirstTokenLastLayer(model)(input_ids, attention_mask, token_type_ids)
    assert torch.allclose(whole, first_only, atol=1e-5) and not torch.allclose(whole[0], whole[1], atol=1e-3)


def test_split_texts_gives_a_token_splits_words_as_text():
    sequences = build_classification_dataset(product_records(30), list(PRODUCT_WORDS), validation=0, test=0)["train"]
    tokens = build_token_dataset(entity_records(30), ["colour", "product"], validation=0, test=0)["train"]
    assert split_texts(sequences, 5) == sequences["text"][:5]
    assert split_texts(tokens) == [" ".join(words) for words in tokens["tokens"]] and len(split_texts(tokens, 40)) == 30


def test_decision_margins_are_top_two_gaps_and_a_token_models_smallest_read_one():
    from training.ml.predict import decision_margins

    assert np.allclose(decision_margins(np.array([[0.5, 0.2, 0.3], [0.1, 0.8, 0.1]])), [0.2, 0.7])
    tokens = np.array([[[0.9, 0.1], [0.55, 0.45], [0.5, 0.5]], [[0.6, 0.4], [1.0, 0.0], [1.0, 0.0]]])
    read = np.array([[True, True, False], [False, False, False]])
    assert np.allclose(decision_margins(tokens, read), [0.1, np.inf])


def test_onnx_export_of_a_token_model_gives_the_same_spans(token_run):
    from training.ml.onnx_export import export_onnx
    from training.ml.predict import Int8Cascade

    calibration = [record["text"] for record in entity_records(seed=7)]
    export_onnx(token_run.output_dir, quantize=True, calibration_texts=calibration)
    texts = ["new red phone", "blue smart tv", "cheap black iphone case sale", "", "white fridge", "red phones deal"]
    torch_spans = Predictor(token_run.output_dir, device="cpu", backend="torch").predict(texts, batch_size=4)
    served = Predictor(token_run.output_dir, device="cpu")
    assert isinstance(served.model, Int8Cascade)
    for predictor in (Predictor(token_run.output_dir, device="cpu", backend="onnx", prefer_int8=False), served):
        onnx_spans = predictor.predict(texts, batch_size=4)
        assert [[(s["start"], s["end"], s["label"]) for s in p["spans"]] for p in onnx_spans] == \
            [[(s["start"], s["end"], s["label"]) for s in p["spans"]] for p in torch_spans]
        assert onnx_spans[2]["spans"]  # an entity is found


def test_a_finished_runs_export_calibrates_the_cascade_on_its_training_texts(token_run):
    import json

    from training.ml import worker
    from training.ml.onnx_export import INT8_FALLBACK_FILE

    texts = split_texts(build_token_dataset(entity_records(seed=9), ["colour", "product"], validation=0, test=0)["train"], 50)
    worker._export(token_run.output_dir, True, texts)
    calibration = json.loads((token_run.output_dir / INT8_FALLBACK_FILE).read_text())
    assert calibration["calibration_texts"] == 50 and 0 < calibration["fallback_margin"] < 1


def test_a_folder_without_export_falls_back_to_pytorch(sequence_run, tmp_path):
    import shutil

    from training.ml.serving import cpu_backend

    result, _ = sequence_run
    copy = shutil.copytree(result.output_dir, tmp_path / "copy", ignore=shutil.ignore_patterns("*.onnx*", "checkpoints"))
    assert Predictor(copy, device="cpu").serving == "torch" == cpu_backend(copy)
    with pytest.raises(FileNotFoundError):
        Predictor(copy, device="cpu", backend="onnx")
