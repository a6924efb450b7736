"""From raw (task, worker, label) answers to the integer arrays every inference method reads.

Duplicates: a worker who answered the same task more than once (imports keep them, "as collected") counts
ONCE, with their LAST answer in row order. The platform itself stores one annotation per worker per item and
an edit replaces it, so the last row is the worker's final word; counting every row would let one worker
outvote the rest by repeating themselves, and keeping the first would ignore their corrections.
"""
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

DUPLICATE_POLICIES = ("last", "first", "all")


@dataclass(frozen=True)
class EncodedAnswers:
    """One row per kept answer: task_idx[a], worker_idx[a], label_idx[a] index tasks, workers, classes."""

    task_idx: np.ndarray
    worker_idx: np.ndarray
    label_idx: np.ndarray
    tasks: np.ndarray
    workers: np.ndarray
    classes: np.ndarray

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def arrays(self) -> tuple:
        """The positional arguments of every method in METHODS."""
        return (self.task_idx, self.worker_idx, self.label_idx, self.n_tasks, self.n_workers, self.n_classes)

    def known_truth(self, truth_by_task: Mapping) -> np.ndarray:
        """{task id: label} (gold answers, reviewer decisions) -> class index per task, -1 where unknown.

        Tasks nobody answered are left out: they have no index. A label outside `classes` is an error.
        """
        known = np.full(self.n_tasks, -1, dtype=np.int64)
        if not truth_by_task:
            return known
        task_ids = _as_str_array(list(truth_by_task.keys()))
        labels = _as_str_array(list(truth_by_task.values()))
        position = np.searchsorted(self.tasks, task_ids).clip(max=max(self.n_tasks - 1, 0))
        answered = self.tasks[position] == task_ids if self.n_tasks else np.zeros(len(task_ids), bool)
        known[position[answered]] = _class_positions(self.classes, labels[answered])
        return known


def encode_answers(tasks: Iterable, workers: Iterable, labels: Iterable, *, classes=None,
                   duplicates: str = "last") -> EncodedAnswers:
    """Encode answer triples with np.unique(return_inverse=True): O(n log n), no Python loop per answer.

    classes: the project's label set, in the order the caller wants (index order also breaks final ties);
    by default the labels seen, in numeric order when they all look like integers ("2" before "10").
    duplicates: "last" (default, see module docstring), "first", or "all" (keep every row).
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, not {duplicates!r}")
    task_ids, worker_ids, label_ids = (_as_str_array(values) for values in (tasks, workers, labels))
    if not len(task_ids) == len(worker_ids) == len(label_ids):
        raise ValueError("tasks, workers and labels must have the same length")
    task_names, task_idx = np.unique(task_ids, return_inverse=True)
    worker_names, worker_idx = np.unique(worker_ids, return_inverse=True)
    class_names = _as_str_array(classes) if classes is not None else _seen_classes(label_ids)
    label_idx = _class_positions(class_names, label_ids)
    kept = _kept_rows(task_idx * max(len(worker_names), 1) + worker_idx, duplicates)
    return EncodedAnswers(task_idx[kept].astype(np.int64), worker_idx[kept].astype(np.int64),
                          label_idx[kept], task_names, worker_names, class_names)


def _as_str_array(values) -> np.ndarray:
    return np.asarray(list(values) if not isinstance(values, np.ndarray) else values).astype(str)


def _seen_classes(label_ids: np.ndarray) -> np.ndarray:
    seen = np.unique(label_ids)
    if seen.size and all(name.lstrip("-").isdigit() for name in seen):
        return seen[np.argsort(seen.astype(np.int64), kind="stable")]
    return seen


def _class_positions(class_names: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Index of each label in class_names (any order), by a sorted lookup; unknown labels raise."""
    order = np.argsort(class_names, kind="stable")
    found = np.searchsorted(class_names[order], labels).clip(max=max(len(class_names) - 1, 0))
    if len(labels) and (not len(class_names) or np.any(class_names[order][found] != labels)):
        unknown = sorted(set(labels.tolist()) - set(class_names.tolist()))
        raise ValueError(f"labels not among the classes: {unknown[:5]}")
    return order[found].astype(np.int64) if len(labels) else np.zeros(0, dtype=np.int64)


def _kept_rows(pair_key: np.ndarray, duplicates: str) -> np.ndarray:
    """Row numbers to keep, in their original order, for one answer per (task, worker) pair."""
    if duplicates == "all":
        return np.arange(len(pair_key))
    if duplicates == "first":
        _, first = np.unique(pair_key, return_index=True)
        return np.sort(first)
    _, first_from_end = np.unique(pair_key[::-1], return_index=True)
    return np.sort(len(pair_key) - 1 - first_from_end)
