"""Evaluation figures of a run: label accuracy and macro-F1 (numpy), entity-level F1 (seqeval)."""
import warnings

import numpy as np
from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score


def classification_metrics(gold, predicted, label_names) -> dict:
    """accuracy, macro-F1, per-label precision/recall/F1/support and the confusion matrix (rows: gold).

    Macro-F1 averages over the labels that occur in gold or predictions (as scikit-learn does): a label
    absent from both has no F1 to average, and counting it as 0 would punish a small test split.
    """
    gold, predicted = np.asarray(gold, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    size = len(label_names)
    confusion = np.bincount(gold * size + predicted, minlength=size * size).reshape(size, size)
    hits, support, predicted_count = np.diag(confusion), confusion.sum(axis=1), confusion.sum(axis=0)
    precision = _ratio(hits, predicted_count)
    recall = _ratio(hits, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    present = (support + predicted_count) > 0
    per_label = {
        name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
        for i, name in enumerate(label_names)
    }
    return {
        "accuracy": float(hits.sum() / max(len(gold), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "examples": int(len(gold)),
        "per_label": per_label,
        "confusion": confusion.tolist(),
    }


def token_metrics(gold_tags, predicted_tags) -> dict:
    """Entity-level precision/recall/F1 (an entity counts only with exact type and extent) and per type.

    Both arguments are lists of BIO tag-name lists of equal lengths; token accuracy is there for context
    only, since "O" dominates it.
    """
    with warnings.catch_warnings():  # seqeval warns on types with no predictions; their scores are 0 by zero_division
        warnings.simplefilter("ignore")
        report = classification_report(gold_tags, predicted_tags, output_dict=True, zero_division=0)
        scores = {
            "precision": precision_score(gold_tags, predicted_tags, zero_division=0),
            "recall": recall_score(gold_tags, predicted_tags, zero_division=0),
            "f1": f1_score(gold_tags, predicted_tags, zero_division=0),
        }
    per_type = {
        kind: {
            "precision": float(row["precision"]), "recall": float(row["recall"]),
            "f1": float(row["f1-score"]), "support": int(row["support"]),
        }
        for kind, row in report.items()
        if not kind.endswith(" avg")
    }
    return {
        **{name: float(value) for name, value in scores.items()},
        "token_accuracy": float(accuracy_score(gold_tags, predicted_tags)),
        "examples": len(gold_tags),
        "per_type": per_type,
    }


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (no prediction or no support)."""
    numerator, denominator = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
