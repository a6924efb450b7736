"""Figures of a model as people read them: two decimals, one table per split, labels in rows."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from training import selectors
from training.models import RunStatus

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


def promotion_summary(evaluation: dict):
    """The decision and its reason, macro-F1 of this version and the active one per set, the per-class
    changes, and how many examples flipped (training/promotion.py)."""
    if not evaluation:
        return "—"
    rows = []
    for name in ("frozen", "feedback"):
        figures = evaluation.get(name) or {}
        if not figures.get("examples"):
            continue
        active = figures.get("active") or {}
        changes = ", ".join(f"{label} {active.get('per_class', {}).get(label, 0):.2f}→{f1:.2f}"
                            for label, f1 in figures.get("per_class", {}).items())
        rows.append(format_html("<li>{}: {} examples, macro-F1 {} (active {}); per class: {}; {} flipped</li>", name,
                                figures["examples"], _figure(figures.get("macro_f1")),
                                _figure(active.get("macro_f1")), changes or "—", len(figures.get("flipped", []))))
    return format_html("<p><b>{}</b>: {}</p><ul>{}</ul>", evaluation.get("decision", "?"),
                       evaluation.get("reason", ""), format_html_join("", "{}", ((row,) for row in rows)))


def _figure(value) -> str:
    return "—" if value is None else f"{value:.3f}"


def run_progress(run, resume_at: int | None, *, compact: bool = False):
    """A run's progress as its page and the list say it, by state. resume_at: the checkpoint step a resume goes on
    from (selectors.resume_step), or None. Before the processes report a total (the seconds spent loading the model
    and data) the page says what is happening, not "step 0 of 0"; a failed run names both its last report and the
    checkpoint a resume uses, which may lie on either side of it. compact (the run list, which must fit 1280 px):
    a short bar and its percent, the words in the bar's tooltip."""
    known = run.progress_total > 0
    fraction = f"step {run.progress_step} of {run.progress_total}"
    goes_on = f"resumes from checkpoint at step {resume_at}" if resume_at else ""
    if run.status == RunStatus.QUEUED:
        said = "; ".join(filter(None, ["queued: waiting for a training worker", goes_on]))
    elif run.status == RunStatus.RUNNING and not known:
        said = "; ".join(filter(None, ["starting: loading the model and data", goes_on]))
        return format_html('<progress max="100" title="{}"></progress> <small>({})</small>', said, said)
    elif run.status == RunStatus.FAILED:
        reported = f"last report: {fraction}" if known else "failed before its first report"
        said = f"{reported}; {goes_on or 'no checkpoint: a resume starts again from step 0'}"
    elif run.status == RunStatus.CANCELLED:
        said = f"stopped at {fraction}" if known else "cancelled before training began"
    else:
        said = fraction
    if not known:
        return format_html("<small>({})</small>", said)
    if compact:
        return format_html('<progress style="width: 6em" max="100" value="{}" title="{}"></progress> {}%',
                           run.percent, said, run.percent)
    return format_html('<progress max="100" value="{}" title="{}"></progress> {}% <small>({})</small>',
                       run.percent, said, run.percent, said)


def short_time(value) -> str:
    """A change list's time: '1 Dec 2026, 07:04' stays on one line where Django's 'Dec. 1, 2026, 7:04 a.m.' takes
    three in a narrow column."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{local.day} {local:%b %Y, %H:%M}"


class NarrowListColumns:
    """A ModelAdmin mixin for change lists that must fit 1280 px beside the admin's sidebar and filters: the
    project's title, which wraps (the admin never wraps a foreign key's column: a long title widened the list
    past the screen), and the `created` time on one line."""

    @admin.display(description="Project", ordering="project__title")
    def project_title(self, obj):
        return obj.project.title

    @admin.display(description="Created", ordering="created_at")
    def created(self, obj):
        return short_time(obj.created_at)
