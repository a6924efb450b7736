"""Truth inference on CSV files, with no database: `manage.py infer_truth` and the benchmark read this."""

import csv
from pathlib import Path

from core.dataset_files import crowd_answers, crowd_truth

from . import inference


def answers_read(path: Path) -> inference.EncodedAnswers:
    """A CSV `task,worker,label` (header required; strings; duplicate and conflicting rows as they come)."""
    return inference.encode_answers(*crowd_answers(path))


def known_truth_read(path: Path, encoded: inference.EncodedAnswers) -> dict:
    """A CSV `task,label` of known truth (gold answers, reviewed items) -> {task: label}. A label no answer
    used is an error (it has no class index)."""
    return crowd_truth(path, labels=set(encoded.classes.tolist()))


def truth_write(path: Path, encoded: inference.EncodedAnswers, result) -> int:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["task", "label", "confidence"])
        for task, label, confidence in zip(encoded.tasks, result.labels, result.confidence):
            writer.writerow([task, encoded.classes[label], f"{float(confidence):.6f}"])
    return len(encoded.tasks)
