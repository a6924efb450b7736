"""Figures of a model as people read them: two decimals, one table per split, labels in rows."""

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from training import selectors

SUMMARY_KEYS = ("macro_f1", "accuracy", "f1", "precision", "recall", "token_accuracy")


def headline_text(task: str, metrics: dict) -> str:
    figure = selectors.headline(task, metrics)
    return str(figure) if figure else "—"


def metrics_table(metrics: dict):
    """The validation and test figures: the summary line, then precision, recall, F1 and support per label
    (per entity type for span models)."""
    parts = [_split_table(split, (metrics or {}).get(split) or {}) for split in ("validation", "test")]
    return format_html_join("", "{}", ((part,) for part in parts if part)) or "—"


def _split_table(split: str, figures: dict):
    if not figures:
        return ""
    summary = ", ".join(f"{selectors.METRIC_NAMES[key]} {figures[key]:.2f}" for key in SUMMARY_KEYS if key in figures)
    per_label = figures.get("per_label") or figures.get("per_type") or {}
    rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
        (name, f"{row['precision']:.2f}", f"{row['recall']:.2f}", f"{row['f1']:.2f}", row["support"])
        for name, row in per_label.items()
    ))
    return format_html(
        '<div class="metrics"><strong>{}</strong> ({} examples): {}'
        "<table><thead><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>"
        "<tbody>{}</tbody></table></div>",
        split.capitalize(), figures.get("examples", "?"), summary, rows,
    )


def admin_link(obj, text=None):
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or obj)
