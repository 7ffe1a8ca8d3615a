"""Server-side SVG charts (bar and line) for the dashboard: no JavaScript, no external library."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#1f6fb2", "#d9822b", "#2e8b57", "#b23b3b", "#7a5ba6", "#5f6b73")
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 46


def _nice_max(value: float) -> float:
    """A top for the axis so that its four gridlines fall on round (integer, for counts) values."""
    if value <= 4:
        return 4.0
    quarter = value / 4
    exponent = 10 ** math.floor(math.log10(quarter))
    steps = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if exponent >= 10 else (1, 2, 3, 4, 5, 6, 8, 10)
    step = next(s * exponent for s in steps if s * exponent >= quarter)
    return float(step * 4)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.1f}"


def _frame(width: int, height: int, top: float, title: str, labels: Sequence[str]) -> list[str]:
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_fmt(value)}</text>'
        )
    count = max(len(labels), 1)
    every = max(1, math.ceil(count / 12))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = LEFT + plot_w * (i + 0.5) / count
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" class="tick">'
            f"{escape(str(label))}</text>"
        )
    return parts


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    width: int = 640,
    height: int = 240,
    color: str = PALETTE[0],
) -> Markup:
    """Vertical bars, one per label; each bar carries a tooltip with its exact value."""
    top = _nice_max(max(values, default=0))
    parts = _frame(width, height, top, title, labels)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    count = max(len(labels), 1)
    slot = plot_w / count
    bar = max(slot * 0.7, 1)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * (value / top) if top else 0
        x = LEFT + slot * i + (slot - bar) / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{escape(str(label))}: {_fmt(value)}</title></rect>'
        )
    if not values or not any(values):
        parts.append(
            f'<text x="{width / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" class="empty">データなし</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[float]], title: str, width: int = 640, height: int = 240
) -> Markup:
    """One polyline per series with a legend below the axis."""
    top = _nice_max(max((max(v, default=0) for v in series.values()), default=0))
    parts = _frame(width, height, top, title, labels)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    count = max(len(labels), 1)
    for n, (name, values) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        points = [
            (LEFT + plot_w * (i + 0.5) / count, TOP + plot_h - plot_h * (v / top))
            for i, v in enumerate(values)
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, y), label, value in zip(points, labels, values, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}">'
                f"<title>{escape(name)} {escape(str(label))}: {_fmt(value)}</title></circle>"
            )
        lx = LEFT + n * 150
        parts.append(
            f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{color}"/>'
            f'<text x="{lx + 16}" y="{height - 9}" class="legend">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def ratio_bar(parts_: dict[str, float], title: str, width: int = 640, height: int = 56) -> Markup:
    """One horizontal stacked bar (e.g. answered / fallback) with percentages."""
    total = sum(parts_.values())
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart ratio" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for n, (name, value) in enumerate(parts_.items()):
        w = width * value / total if total else 0
        pct = 100 * value / total if total else 0
        out.append(
            f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="26" fill="{PALETTE[n % len(PALETTE)]}">'
            f"<title>{escape(name)}: {_fmt(value)} ({pct:.0f}%)</title></rect>"
        )
        if w > 70:
            out.append(f'<text x="{x + 6:.1f}" y="22" class="in-bar">{escape(name)} {pct:.0f}%</text>')
        x += w
    if not total:
        out.append(
            f'<rect x="0" y="4" width="{width}" height="26" class="none"/>'
            f'<text x="{width / 2}" y="22" text-anchor="middle" class="empty">データなし</text>'
        )
    legend = " / ".join(f"{name} {_fmt(v)}" for name, v in parts_.items())
    out.append(f'<text x="0" y="{height - 6}" class="legend">{escape(legend)}</text></svg>')
    return Markup("".join(out))
