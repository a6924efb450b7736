"""Readers of the real data files the demo, the crowd simulation, `manage.py infer_truth` and bench/ share
(../shared/datasets: PriceRunner's product titles, QueryNER's BIO-tagged queries, crowd answers and truth).

One reader for each file kind, so a header quirk, a duplicate rule or a BIO reading is decided once. Plain
Python with no Django: the bench scripts import it without setting Django up.
"""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

PRICERUNNER_CSV = "pricerunner_product_titles/pricerunner_aggregate.csv"
QUERYNER_JSON = "queryner/hf_json"


def pricerunner_titles(path: Path) -> list[dict]:
    """{"product_id", "title", "category"} per distinct title, in file order. A title seen before (case and
    surrounding spaces aside) is dropped: the same title from two merchants would be one item twice, or sit
    in both a training and a test split. The header's column names carry leading spaces, so columns are
    read by position."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        records, seen = [], set()
        for product_id, title, *_rest, category in reader:
            key = title.strip().lower()
            if key not in seen:
                seen.add(key)
                records.append({"product_id": product_id, "title": title.strip(), "category": category.strip()})
    return records


def bio_to_spans(tokens: list[str], tags: list[str]) -> dict:
    """{"text", "spans"}: the words joined by single spaces, a character span {"start", "end", "label"} per
    B-x tag and the I-x words right after it. An I-x that does not continue an x span opens one, as seqeval's
    default reading does (an "O" word in between ends a span)."""
    text, spans, offset = " ".join(tokens), [], 0
    for token, tag in zip(tokens, tags):
        start, offset = offset, offset + len(token) + 1
        if tag == "O":
            continue
        prefix, kind = tag.split("-", 1)
        if prefix == "I" and spans and spans[-1]["label"] == kind and spans[-1]["end"] == start - 1:
            spans[-1]["end"] = start + len(token)
        else:
            spans.append({"start": start, "end": start + len(token), "label": kind})
    return {"text": text, "spans": spans}


def queryner_tag_names(folder: Path) -> list[str]:
    """QueryNER's tag names in id order ("O", "B-x", "I-x", ...)."""
    return json.loads((folder / "label_names.json").read_text())


def queryner_records(folder: Path, split: str, tag_names: list[str]) -> list[dict]:
    """Every query of a split ("train", "validation", "test") as text with character spans (bio_to_spans)."""
    examples = json.loads((folder / f"{split}.json").read_text())["examples"]
    return [bio_to_spans(e["tokens"], [tag_names[tag] for tag in e["ner_tags"]]) for e in examples]


def _checked_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """(line number, row) of a CSV with a header naming `columns`, each present on every row."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = set(columns) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: the header must have {_spoken(columns)} (missing {', '.join(sorted(missing))}).")
        for line, row in enumerate(reader, start=2):
            if any(row[column] in (None, "") for column in columns):
                verb = "must both be present" if len(columns) == 2 else "must all be present"
                raise ValueError(f"{path}, line {line}: {_spoken(columns)} {verb}.")
            yield line, row


def _spoken(columns) -> str:
    return ", ".join(columns[:-1]) + f" and {columns[-1]}"


def crowd_answers(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(tasks, workers, labels) of a CSV `task,worker,label` (header required; strings; duplicate and
    conflicting rows kept as they come, in file order)."""
    tasks, workers, labels = [], [], []
    for _line, row in _checked_rows(path, ("task", "worker", "label")):
        tasks.append(row["task"])
        workers.append(row["worker"])
        labels.append(row["label"])
    if not tasks:
        raise ValueError(f"{path}: no answers.")
    return tasks, workers, labels


def crowd_truth(path: Path, labels: set[str] | None = None) -> dict[str, str]:
    """{task: label} of a CSV `task,label` of known truth. A task given two labels is an error; so is a label
    outside `labels` when they are given (a label no answer used has no class to stand for)."""
    known: dict[str, str] = {}
    for line, row in _checked_rows(path, ("task", "label")):
        task, label = row["task"], row["label"]
        if labels is not None and label not in labels:
            raise ValueError(f"{path}, line {line}: label {label!r} is not among the answers' labels.")
        if known.get(task, label) != label:
            raise ValueError(f"{path}, line {line}: task {task!r} is given two labels, {known[task]!r} and {label!r}.")
        known[task] = label
    return known
