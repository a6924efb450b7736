"""A run's curves as an inline SVG: training loss, validation loss (left axis) and validation score (right axis,
0-1) against the step. The loss axis starts at 0 unless the losses stay in the top half of their range: a loss
that moves from 2.32 to 1.87 drawn from 0 is a flat line along the top, so the axis then spans the losses alone
(its foot labelled with its value). The step axis spans the run's total steps once they are known, so a training run's
lines grow into a fixed frame rather than the frame rescaling at each report; the legend names only the series that
have a point (a run validates first at its first checkpoint, and one without a validation split never does).
Built from numbers only, so the markup needs no escaping beyond format_html."""

from django.utils.html import format_html, format_html_join

WIDTH, HEIGHT, MARGIN = 560, 220, 36
SERIES = (  # key in a history row, colour, axis, legend
    ("loss", "#417690", "loss", "training loss"),
    ("validation_loss", "#ba2121", "loss", "validation loss"),
    ("validation_score", "#44a048", "score", "validation score (right, 0-1)"),
)


def curves_svg(history: list, total_steps: int = 0):
    """The chart, or a dash when the run has no figures yet (queued, or trained by the old loop). total_steps: the
    run's steps when known (0: not yet), the end of the step axis."""
    rows = [row for row in history or [] if "step" in row]
    if not rows:
        return "—"
    last_step = max(total_steps, *(row["step"] for row in rows)) or 1
    losses = [row[key] for row in rows for key in ("loss", "validation_loss") if key in row]
    top_loss = max(losses, default=1.0) or 1.0
    low_loss = _axis_foot(min(losses, default=0.0), top_loss)
    lines, dots, drawn = [], [], []
    for key, colour, axis, name in SERIES:
        low, high = (0.0, 1.0) if axis == "score" else (low_loss, top_loss)
        xy = [(_x(row["step"], last_step), _y(row[key], low, high)) for row in rows if key in row]
        if xy:
            drawn.append((key, colour, name))
            lines.append((colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)))
            # a dot at each figure: a series of one figure (one validation, after a one-epoch run) has no line
            dots.extend((f"{x:.1f}", f"{y:.1f}", colour) for x, y in xy)
    legend = format_html_join("", '<tspan fill="{}" dx="12">■ {}</tspan>', ((c, name) for _k, c, name in drawn))
    score_axis = any(key == "validation_score" for key, _c, _n in drawn)  # the right axis: labelled once it has one
    polylines = format_html_join("", '<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>', lines)
    polylines += format_html_join("", '<circle cx="{}" cy="{}" r="2.5" fill="{}"/>', dots)
    return format_html(
        '<svg class="run-curves" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="loss and validation curves">'
        '<rect x="{m}" y="{m}" width="{iw}" height="{ih}" fill="none" stroke="#ccc"/>{lines}'
        '<text x="{m}" y="{by}" font-size="11">step 0</text><text x="{rx}" y="{by}" font-size="11" text-anchor="end">step {last}</text>'
        '<text x="2" y="{ty}" font-size="11">{top}</text>'
        '<text x="{zx}" y="{zy}" font-size="11" text-anchor="end">{foot}</text>{score_labels}'
        '<text x="{m}" y="14" font-size="11">{legend}</text></svg>',
        w=WIDTH, h=HEIGHT, m=MARGIN, iw=WIDTH - 2 * MARGIN, ih=HEIGHT - 2 * MARGIN, lines=polylines,
        by=HEIGHT - 12, rx=WIDTH - MARGIN, zx=MARGIN - 4, zy=HEIGHT - MARGIN, last=last_step, ty=MARGIN + 4, top=f"{top_loss:.2f}",
        foot=f"{low_loss:.2f}" if low_loss else "0",
        legend=legend,
        score_labels=format_html('<text x="{sx}" y="{ty}" font-size="11">1.0</text><text x="{sx}" y="{zy}" font-size="11">0</text>',
                                 sx=WIDTH - MARGIN + 4, ty=MARGIN + 4, zy=HEIGHT - MARGIN) if score_axis else "",
    )


def _x(step, last_step) -> float:
    return MARGIN + (WIDTH - 2 * MARGIN) * step / last_step


def _axis_foot(lowest: float, top: float) -> float:
    """0, unless every loss is in the top half of [0, top]: then just under the lowest (5% of the range)."""
    if lowest < top / 2 or lowest >= top:
        return 0.0
    return lowest - 0.05 * (top - lowest)


def _y(value, low, high) -> float:
    return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * min(max((value - low) / (high - low), 0.0), 1.0)
