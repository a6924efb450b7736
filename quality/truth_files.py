"""Truth inference on CSV files, with no database: `manage.py infer_truth` and the benchmark read this."""

import csv
from pathlib import Path

from . import inference


def answers_read(path: Path) -> inference.EncodedAnswers:
    """A CSV `task,worker,label` (header required; strings; duplicate and conflicting rows as they come)."""
    tasks, workers, labels = [], [], []
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"task", "worker", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: the header must have task, worker and label (missing {', '.join(sorted(missing))}).")
        for line, row in enumerate(reader, start=2):
            if not row["task"] or not row["worker"] or row["label"] in (None, ""):
                raise ValueError(f"{path}, line {line}: task, worker and label must all be present.")
            tasks.append(row["task"])
            workers.append(row["worker"])
            labels.append(row["label"])
    if not tasks:
        raise ValueError(f"{path}: no answers.")
    return inference.encode_answers(tasks, workers, labels)


def known_truth_read(path: Path, encoded: inference.EncodedAnswers) -> dict:
    """A CSV `task,label` of known truth (gold answers, reviewed items) -> {task: label} for the answered
    tasks. A label no answer used is an error (it has no class index); tasks nobody answered are skipped."""
    known = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = {"task", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: the header must have task and label (missing {', '.join(sorted(missing))}).")
        classes = set(encoded.classes.tolist())
        for line, row in enumerate(reader, start=2):
            if not row["task"] or row["label"] in (None, ""):
                raise ValueError(f"{path}, line {line}: task and label must both be present.")
            if row["label"] not in classes:
                raise ValueError(f"{path}, line {line}: label {row['label']!r} is not among the answers' labels.")
            if known.get(row["task"], row["label"]) != row["label"]:
                raise ValueError(f"{path}, line {line}: task {row['task']!r} is given two labels, "
                                 f"{known[row['task']]!r} and {row['label']!r}.")
            known[row["task"]] = row["label"]
    return known


def truth_write(path: Path, encoded: inference.EncodedAnswers, result) -> int:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["task", "label", "confidence"])
        for task, label, confidence in zip(encoded.tasks, result.labels, result.confidence):
            writer.writerow([task, encoded.classes[label], f"{float(confidence):.6f}"])
    return len(encoded.tasks)
