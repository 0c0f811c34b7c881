"""Charts drawn as inline SVG on the server: no chart library, no CDN, no JavaScript.

Each function takes plain numbers and labels and returns the ``<svg>`` element as
:class:`markupsafe.Markup`; every label is escaped. The SVG carries ``role="img"``, a
``<title>`` and a ``<desc>`` for screen readers (pages add a data table beside it). Colours
are presentation attributes, not inline styles, so the pages' Content-Security-Policy
(``style-src 'self'``) lets them through. Each drawn mark has ``data-value`` (its number),
which tests read.

| function | draws |
|---|---|
| :func:`bar_chart` | horizontal bars, one segment per series (stacked), a legend |
| :func:`histogram` | vertical bins over a numeric range, a marked threshold |
| :func:`column_chart` | vertical bars over categories (e.g. meetings per participant) |
| :func:`funnel` | stages of decreasing counts, each with its share of the one before |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Series colours (readable on white, distinguishable in greyscale order).
PALETTE = ("#0b5cad", "#e08a00", "#1d7a3a", "#b3261e", "#7a4fb3", "#5b6675")
#: Colour of bins at or above a histogram's threshold, and of the threshold line.
HIGHLIGHT = "#1d7a3a"
MUTED = "#9aa5b3"
#: The full-width background of each funnel stage.
TRACK = "#eef1f5"
TEXT = "#1c2430"
FONT = 13
#: Longest label drawn in full; longer ones are cut with "…" (the full one is the tooltip).
LABEL_CHARS = 24


@dataclass(frozen=True)
class Bar:
    """One bar of :func:`bar_chart`: a label and one value per series."""

    label: str
    values: tuple[float, ...]

    @property
    def total(self) -> float:
        """The bar's length in data units (its segments summed)."""
        return float(sum(self.values))


def _num(value: float) -> str:
    """A number as drawn: integers without a decimal point, others with two decimals."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _f(value: float) -> str:
    """An SVG coordinate."""
    return f"{value:.1f}"


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _open(chart_id: str, title: str, desc: str, width: float, height: float, kind: str) -> str:
    cid = escape(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{cid}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" font-size="{FONT}" '
        f'font-family="system-ui, sans-serif" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" fill="{TEXT}"{klass}>'
        f"{escape(text)}</text>"
    )


LEGEND_LINE = 20


def _legend_items(series: Sequence[str], x: float, right: float) -> list[tuple[float, int]]:
    """Where each legend item goes: ``(x, line)``, wrapping before ``right``."""
    out = []
    start, line = x, 0
    for name in series:
        size = 28 + 7.2 * len(name)
        if x > start and x + size > right:
            x, line = start, line + 1
        out.append((x, line))
        x += size
    return out


def _legend(series: Sequence[str], colours: Sequence[str], x: float, y: float, right: float) -> str:
    parts = []
    for i, (name, (left, line)) in enumerate(
        zip(series, _legend_items(series, x, right), strict=True)
    ):
        top = y + line * LEGEND_LINE
        parts.append(
            f'<rect x="{_f(left)}" y="{_f(top - 10)}" width="12" height="12" '
            f'fill="{colours[i % len(colours)]}"/>' + _text(left + 16, top, name)
        )
    return '<g class="legend">' + "".join(parts) + "</g>"


def bar_chart(
    bars: Sequence[Bar],
    series: Sequence[str],
    *,
    title: str,
    desc: str,
    chart_id: str,
    width: float = 480,
    label_width: float = 170,
    bar_height: float = 20,
    gap: float = 8,
    colours: Sequence[str] = PALETTE,
) -> Markup:
    """Horizontal bars in the order given; each bar's segments (one per name in ``series``,
    coloured by ``colours``) are stacked left to right, and the bar's total is written after
    it. Lengths are proportional to the totals (the longest total fills the plot). The
    legend (more than one series) wraps onto further lines."""
    legend_lines = 0
    if len(series) > 1:
        legend_lines = 1 + max(line for _, line in _legend_items(series, label_width, width))
    legend_height = legend_lines * LEGEND_LINE + (4 if legend_lines else 0)
    top = legend_height + 4
    height = top + max(len(bars), 1) * (bar_height + gap) + 4
    plot = width - label_width - 48
    longest = max((bar.total for bar in bars), default=0.0)
    scale = plot / longest if longest > 0 else 0.0
    out = [_open(chart_id, title, desc, width, height, "bars")]
    if legend_height:
        out.append(_legend(series, colours, label_width, 16, width))
    for row, bar in enumerate(bars):
        y = top + row * (bar_height + gap)
        out.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{_num(bar.total)}">'
            f"<title>{escape(bar.label)}: {_num(bar.total)}</title>"
        )
        out.append(_text(label_width - 6, y + bar_height * 0.7, _short(bar.label), "end"))
        x = label_width
        for i, value in enumerate(bar.values):
            length = value * scale
            if value > 0:
                out.append(
                    f'<rect class="segment" x="{_f(x)}" y="{_f(y)}" width="{_f(length)}" '
                    f'height="{_f(bar_height)}" fill="{colours[i % len(colours)]}" '
                    f'data-series="{escape(series[i]) if i < len(series) else i}" '
                    f'data-value="{_num(value)}"/>'
                )
            x += length
        out.append(_text(x + 4, y + bar_height * 0.7, _num(bar.total)))
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def histogram_counts(values: Sequence[float], bins: int, low: float, high: float) -> list[int]:
    """How many of ``values`` fall in each of ``bins`` equal bins over ``[low, high]``
    (values outside are clamped into the first or last bin; ``high`` is in the last)."""
    if bins < 1 or high <= low:
        raise ValueError("need at least one bin and high > low")
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        index = int((value - low) // width)
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def histogram(
    values: Sequence[float],
    *,
    title: str,
    desc: str,
    chart_id: str,
    bins: int = 20,
    low: float = 0.0,
    high: float = 1.0,
    threshold: float | None = None,
    threshold_label: str = "",
    width: float = 480,
    height: float = 220,
) -> Markup:
    """Vertical bins of ``values`` over ``[low, high]``; heights proportional to the counts
    (the fullest bin fills the plot). A ``threshold`` draws a dashed line with its label, and
    bins starting at or above it are drawn in :data:`HIGHLIGHT`."""
    counts = histogram_counts(values, bins, low, high)
    left, right, top, bottom = 36.0, 12.0, 26.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    fullest = max(counts, default=0)
    step = plot_w / bins
    out = [_open(chart_id, title, desc, width, height, "histogram")]
    base = top + plot_h
    out.append(
        f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + plot_w)}" y2="{_f(base)}" '
        f'stroke="{TEXT}"/>'
    )
    out.append(_text(left - 4, top + 4, _num(fullest), "end"))
    out.append(_text(left - 4, base, "0", "end"))
    bin_width = (high - low) / bins
    for i, count in enumerate(counts):
        start = low + i * bin_width
        hot = threshold is not None and start >= threshold - 1e-9
        h = plot_h * count / fullest if fullest else 0.0
        x = left + i * step
        out.append(
            f'<rect class="bin" x="{_f(x + 1)}" y="{_f(base - h)}" width="{_f(step - 2)}" '
            f'height="{_f(h)}" fill="{HIGHLIGHT if hot else PALETTE[0]}" '
            f'data-start="{start:.3f}" data-value="{count}">'
            f"<title>{start:.2f}–{start + bin_width:.2f}: {count}</title></rect>"
        )
    for tick in range(6):
        value = low + (high - low) * tick / 5
        x = left + plot_w * tick / 5
        out.append(_text(x, base + 18, f"{value:.1f}", "middle"))
    if threshold is not None and low <= threshold <= high:
        x = left + plot_w * (threshold - low) / (high - low)
        out.append(
            f'<line class="threshold" x1="{_f(x)}" y1="{_f(top - 6)}" x2="{_f(x)}" '
            f'y2="{_f(base)}" stroke="{TEXT}" stroke-width="2" stroke-dasharray="5 3" '
            f'data-value="{threshold:.3f}"/>'
        )
        anchor = "end" if x > left + plot_w * 0.7 else "start"
        out.append(_text(x + (-4 if anchor == "end" else 4), top - 10, threshold_label, anchor))
    out.append("</svg>")
    return Markup("".join(out))


def column_chart(
    columns: Sequence[tuple[str, float]],
    *,
    title: str,
    desc: str,
    chart_id: str,
    width: float = 480,
    height: float = 200,
    marked: str | None = None,
    marked_label: str = "",
) -> Markup:
    """Vertical bars, one per ``(label, value)`` in order, heights proportional to the
    values (the largest fills the plot), the value above each bar and the label below. The
    column labelled ``marked`` is drawn in :data:`HIGHLIGHT` with ``marked_label``."""
    left, right, top, bottom = 12.0, 12.0, 22.0, 24.0
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((value for _, value in columns), default=0.0)
    step = plot_w / max(len(columns), 1)
    bar_w = min(step * 0.7, 60.0)
    base = top + plot_h
    out = [_open(chart_id, title, desc, width, height, "columns")]
    out.append(
        f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + plot_w)}" y2="{_f(base)}" '
        f'stroke="{TEXT}"/>'
    )
    for i, (label, value) in enumerate(columns):
        h = plot_h * value / largest if largest > 0 else 0.0
        centre = left + step * (i + 0.5)
        colour = HIGHLIGHT if marked is not None and label == marked else PALETTE[0]
        out.append(
            f'<rect class="column" x="{_f(centre - bar_w / 2)}" y="{_f(base - h)}" '
            f'width="{_f(bar_w)}" height="{_f(h)}" fill="{colour}" '
            f'data-label="{escape(label)}" data-value="{_num(value)}">'
            f"<title>{escape(label)}: {_num(value)}</title></rect>"
        )
        out.append(_text(centre, base - h - 4, _num(value), "middle"))
        out.append(_text(centre, base + 16, _short(label, 12), "middle"))
        if marked is not None and label == marked and marked_label:
            out.append(_text(centre, top - 8, marked_label, "middle"))
    out.append("</svg>")
    return Markup("".join(out))


def funnel(
    stages: Sequence[tuple[str, int]],
    *,
    title: str,
    desc: str,
    chart_id: str,
    width: float = 480,
    stage_height: float = 34,
    gap: float = 6,
) -> Markup:
    """Centred bars, one per ``(label, count)`` stage in order; widths proportional to the
    counts (the largest stage fills the plot). Each stage shows its label, its count and,
    after the first, its share of the stage before it."""
    height = max(len(stages), 1) * (stage_height + gap) + 4
    largest = max((count for _, count in stages), default=0)
    plot = width - 8
    out = [_open(chart_id, title, desc, width, height, "funnel")]
    previous: int | None = None
    for i, (label, count) in enumerate(stages):
        w = plot * count / largest if largest else 0.0
        x = (width - w) / 2
        y = 2 + i * (stage_height + gap)
        share = ""
        if previous is not None:
            share = f" · {100 * count / previous:.0f}%" if previous else " · –"
        text = f"{label}: {count}{share}"
        out.append(
            f'<g class="stage" data-label="{escape(label)}" data-value="{count}">'
            f'<rect class="track" x="4" y="{_f(y)}" width="{_f(plot)}" '
            f'height="{_f(stage_height)}" rx="4" fill="{TRACK}"/>'
            f'<rect class="level" x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" '
            f'height="{_f(stage_height)}" '
            f'rx="4" fill="{PALETTE[i % len(PALETTE)]}" fill-opacity="0.35" '
            f'stroke="{PALETTE[i % len(PALETTE)]}"/>'
            + _text(width / 2, y + stage_height * 0.65, text, "middle")
            + "</g>"
        )
        previous = count
    out.append("</svg>")
    return Markup("".join(out))
