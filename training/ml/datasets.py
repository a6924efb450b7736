"""Annotated records -> seeded train/validation/test splits (Hugging Face datasets), and snapshots on disk.

A snapshot is what a fine-tuning run trains on, frozen: the Arrow files of every split plus manifest.json
(label names, examples and counts per label per split, and whatever the caller adds: project, time, ...),
so a run can be repeated and its numbers explained long after the annotations changed.
"""
import json
import math
import re
from pathlib import Path

import numpy as np
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value, load_from_disk
from datasets.utils.logging import disable_progress_bar

# Snapshots are written by the server and its workers, whose output is a log: a progress bar per save
# ("Saving the dataset (0/1 shards)") is noise there, and a run's own progress is on its page.
disable_progress_bar()

SPLITS = ("train", "validation", "test")
MANIFEST_FILE = "manifest.json"
DATA_FOLDER = "data"
WORD = re.compile(r"\S+")


def build_classification_dataset(records, label_names, *, seed=13, validation=0.1, test=0.1) -> DatasetDict:
    """Stratified split of {"text", "label"} records, so each split keeps the label proportions.

    Small classes: a class of 1 or 2 examples goes whole into train (a model cannot learn a label it never
    sees, and one held-out example measures nothing); from 3 examples on, each held-out split with a
    non-zero fraction gets at least one, and train always keeps at least one. Records that carry an "id"
    (all of them) keep it in an "id" column, so a split can be traced back to its items.
    """
    label_names = _checked_names(label_names)
    label_index = {name: index for index, name in enumerate(label_names)}
    for position, record in enumerate(records):
        if record["label"] not in label_index:
            raise ValueError(f"record {position}: label {record['label']!r} is not one of {label_names}")
    labels = np.array([label_index[record["label"]] for record in records], dtype=np.int64)
    rng = np.random.default_rng(seed)
    parts = {split: [] for split in SPLITS}
    for label in range(len(label_names)):
        members = rng.permutation(np.flatnonzero(labels == label))
        for split, chosen in _split_members(members, validation, test).items():
            parts[split].extend(chosen.tolist())
    features = {"text": Value("string"), "label": ClassLabel(names=label_names)}
    columns = {"text": [r["text"] for r in records], "label": labels.tolist()}
    return _dataset_dict(records, columns, features, parts, rng)


def build_token_dataset(records, entity_types, *, seed=13, validation=0.1, test=0.1) -> DatasetDict:
    """{"text", "spans": [{"start", "end", "label"}]} records -> whitespace tokens with BIO tags, split at random.

    A token takes the label of the first span (by start) it overlaps, even partly: tokens are whitespace
    words, so a span that ends inside a word covers the whole word. Splits are random, not stratified (a
    sentence holds several types); the sizes follow the same small-set rule as classification.
    """
    entity_types = _checked_names(entity_types)
    tag_names = bio_label_names(entity_types)
    tag_index = {name: index for index, name in enumerate(tag_names)}
    tokens, tags = [], []
    for position, record in enumerate(records):
        try:
            words, word_tags = bio_tags(record["text"], record.get("spans", []), entity_types)
        except ValueError as error:
            raise ValueError(f"record {position}: {error}") from None
        tokens.append(words)
        tags.append([tag_index[tag] for tag in word_tags])
    rng = np.random.default_rng(seed)
    parts = {split: chosen.tolist() for split, chosen in _split_members(rng.permutation(len(records)), validation, test).items()}
    features = {"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=tag_names))}
    return _dataset_dict(records, {"tokens": tokens, "ner_tags": tags}, features, parts, rng)


def bio_label_names(entity_types) -> list:
    """O first (id 0), then B-x, I-x for each type in the given order: the order ids are saved in."""
    return ["O"] + [f"{prefix}-{kind}" for kind in entity_types for prefix in ("B", "I")]


def bio_tags(text, spans, entity_types) -> tuple:
    """(words, tag names) of one text; B- on the first word of each span, I- on the words after it."""
    ordered = sorted(spans, key=lambda span: (span["start"], -span["end"]))
    for span in ordered:
        if span["label"] not in entity_types:
            raise ValueError(f"span label {span['label']!r} is not one of {list(entity_types)}")
        if not 0 <= span["start"] < span["end"] <= len(text):
            raise ValueError(f"span {span['start']}-{span['end']} lies outside the text of {len(text)} characters")
    words, tags, previous = [], [], None
    for match in WORD.finditer(text):
        owner = next((i for i, s in enumerate(ordered) if s["start"] < match.end() and s["end"] > match.start()), None)
        words.append(match.group())
        if owner is None:
            tags.append("O")
        else:
            tags.append(("I-" if owner == previous else "B-") + ordered[owner]["label"])
        previous = owner
    return words, tags


def snapshot_save(dataset_dict, folder, manifest: dict) -> Path:
    """Write the splits (save_to_disk) and manifest.json; computed facts override caller keys of the same name,
    so a manifest never contradicts the data beside it.

    Empty splits are left out of the Arrow files (datasets cannot load an empty one back) and rebuilt by
    snapshot_load from the manifest's examples.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stored = DatasetDict({split: rows for split, rows in dataset_dict.items() if len(rows)})
    if not stored:
        raise ValueError("every split is empty: nothing to snapshot")
    stored.save_to_disk(str(folder / DATA_FOLDER))
    described = {**manifest, **describe(dataset_dict)}
    (folder / MANIFEST_FILE).write_text(json.dumps(described, indent=2, default=str))
    return folder


def snapshot_load(folder) -> tuple:
    """(DatasetDict, manifest) of a folder written by snapshot_save, splits in the order they were saved."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    stored = load_from_disk(str(folder / DATA_FOLDER))
    features = next(iter(stored.values())).features
    empty = {name: [] for name in features}
    splits = {
        split: stored[split] if split in stored else Dataset.from_dict(empty, features=features)
        for split in manifest["examples"]
    }
    return DatasetDict(splits), manifest


def describe(dataset_dict) -> dict:
    """task, label names, examples per split and counts per label per split.

    Counts are labels for classification and entities (B- tags) per type for token data.
    """
    task, names = dataset_task(dataset_dict), label_names_of(dataset_dict)
    examples, counts = {}, {}
    for split, rows in dataset_dict.items():
        examples[split] = len(rows)
        if task == "sequence":
            tally = np.bincount(np.asarray(rows["label"], dtype=np.int64), minlength=len(names))
            counts[split] = {name: int(n) for name, n in zip(names, tally)}
        else:
            flat = [names[tag] for sentence in rows["ner_tags"] for tag in sentence]
            kinds = [name[2:] for name in names if name.startswith("B-")]
            counts[split] = {kind: flat.count(f"B-{kind}") for kind in kinds}
    return {"task": task, "label_names": names, "examples": examples, "counts": counts}


def dataset_task(dataset_dict) -> str:
    """"token" when the rows carry ner_tags, else "sequence"."""
    return "token" if "ner_tags" in dataset_dict["train"].features else "sequence"


def split_texts(split, limit=None) -> list:
    """The texts of a split (a token split's words joined by spaces), the first limit of them."""
    rows = split.select(range(min(limit, len(split)))) if limit is not None else split
    return list(rows["text"]) if "text" in split.features else [" ".join(words) for words in rows["tokens"]]


def label_names_of(dataset_dict) -> list:
    """Label names in id order, read from the ClassLabel feature."""
    features = dataset_dict["train"].features
    if "ner_tags" in features:
        return list(features["ner_tags"].feature.names)
    return list(features["label"].names)


def _checked_names(names) -> list:
    names = list(names)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"label names must be non-empty and distinct, got {names}")
    return names


def _split_members(members, validation, test) -> dict:
    """Cut shuffled indices into test, validation and train (see the small-set rule above)."""
    if validation < 0 or test < 0 or validation + test >= 1:
        raise ValueError("validation and test are fractions >= 0 that add up to less than 1")
    n_validation, n_test = _held_out_sizes(len(members), validation, test)
    return {
        "test": members[:n_test],
        "validation": members[n_test:n_test + n_validation],
        "train": members[n_test + n_validation:],
    }


def _held_out_sizes(count, validation, test) -> tuple:
    if count < 3:
        return 0, 0
    sizes = [max(1, math.floor(count * fraction + 0.5)) if fraction > 0 else 0 for fraction in (validation, test)]
    while count - sum(sizes) < 1:
        larger = 0 if sizes[0] >= sizes[1] else 1
        sizes[larger] -= 1
    return sizes[0], sizes[1]


def _dataset_dict(records, columns, features, parts, rng) -> DatasetDict:
    if records and all("id" in record for record in records):
        columns = {"id": [str(record["id"]) for record in records], **columns}
        features = {"id": Value("string"), **features}
    features = Features(features)
    splits = {}
    for split in SPLITS:
        order = rng.permutation(np.asarray(parts[split], dtype=np.int64)).tolist()
        rows = {name: [values[i] for i in order] for name, values in columns.items()}
        splits[split] = Dataset.from_dict(rows, features=features)
    return DatasetDict(splits)
