"""Index arrays built once per inference run, so each EM step is a few gathers and bincounts.

np.take on rows is ~15x faster than fancy indexing, and one bincount over a flat (row, class) index
sums a whole answers×classes matrix at once; both matter on 100k answers × 100 iterations.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnswerLayout:
    task_idx: np.ndarray
    worker_idx: np.ndarray
    label_idx: np.ndarray
    n_tasks: int
    n_workers: int
    n_classes: int
    cell: np.ndarray          # worker * K + answered label: the row of a worker's confusion "by label"
    answer_cell: np.ndarray   # task * K + answered label: where T[t_a, l_a] sits in a raveled posterior
    task_class: np.ndarray    # flat (task, k) index for every answer and class, answers × K raveled
    cell_class: np.ndarray    # flat (cell, k) index, same shape

    @classmethod
    def build(cls, task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes) -> "AnswerLayout":
        task_idx, worker_idx, label_idx = checked_answers(task_idx, worker_idx, label_idx, n_tasks, n_workers,
                                                          n_classes)
        classes = np.arange(n_classes)
        cell = worker_idx * n_classes + label_idx
        return cls(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes, cell,
                   task_idx * n_classes + label_idx,
                   (task_idx[:, None] * n_classes + classes).ravel(), (cell[:, None] * n_classes + classes).ravel())

    def rows_for_answers(self, per_task: np.ndarray) -> np.ndarray:
        """out[a] = per_task[task of answer a]."""
        return np.take(per_task, self.task_idx, axis=0)

    def posterior_of_answers(self, posterior: np.ndarray) -> np.ndarray:
        """out[a] = T[t_a, l_a]: the probability that answer a is right."""
        return np.take(posterior.ravel(), self.answer_cell)

    def sum_by_task(self, per_answer: np.ndarray) -> np.ndarray:
        """out[t, k] = Σ_{answers a of task t} per_answer[a, k]."""
        flat = np.bincount(self.task_class, weights=per_answer.ravel(), minlength=self.n_tasks * self.n_classes)
        return flat.reshape(self.n_tasks, self.n_classes)

    def sum_by_cell(self, per_answer: np.ndarray) -> np.ndarray:
        """out[w, l, k] = Σ_{answers a by worker w with label l} per_answer[a, k]."""
        size = self.n_workers * self.n_classes * self.n_classes
        flat = np.bincount(self.cell_class, weights=per_answer.ravel(), minlength=size)
        return flat.reshape(self.n_workers, self.n_classes, self.n_classes)


def checked_answers(task_idx, worker_idx, label_idx, n_tasks, n_workers, n_classes) -> tuple:
    """The three index arrays as int64, after checking lengths and ranges (a bad index would otherwise
    land silently in another task's or worker's bincount cell)."""
    arrays = tuple(np.asarray(a, dtype=np.int64) for a in (task_idx, worker_idx, label_idx))
    if len({len(a) for a in arrays}) != 1:
        raise ValueError("task_idx, worker_idx and label_idx must have the same length")
    for indices, size, name in zip(arrays, (n_tasks, n_workers, n_classes), ("task_idx", "worker_idx", "label_idx")):
        _check_range(indices, size, name)
    return arrays


def _check_range(indices: np.ndarray, size: int, name: str) -> None:
    if len(indices) and (indices.min() < 0 or indices.max() >= size):
        raise ValueError(f"{name} holds an index outside 0..{size - 1}")
