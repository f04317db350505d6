"""Small dependency-free charts as inline SVG (for the leadership report and server-rendered
pages): horizontal bars and a column chart with an optional line. Text is escaped."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#7c3aed", "#0891b2")


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}".replace(",", " ") if abs(value) >= 100 or float(value).is_integer() else f"{value:.2f}"


def hbar(items: Sequence[tuple[str, float | None]], *, title: str = "", percent: bool = False, width: int = 640,
         color: str = PALETTE[0]) -> SafeString:
    """Horizontal bars: one row per (label, value); None values are drawn as "н/д"."""
    row_h, label_w, top = 22, 200, 28 if title else 6
    height = top + row_h * len(items) + 8
    values = [v for _l, v in items if v is not None]
    peak = max(values, default=0) or 1
    if percent:
        peak = max(peak, 1.0)
    bar_w = width - label_w - 70
    no_data = escape(gettext("н/д"))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             'style="max-width:100%;height:auto" '
             f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="12">']
    if title:
        parts.append(f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label[:32])}</text>')
        if value is None:
            parts.append(f'<text x="{label_w}" y="{y + 15}" fill="#777">{no_data}</text>')
            continue
        w = max(1.0, bar_w * value / peak)
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{color}">'
                     f'<title>{escape(label)}: {_fmt(value, percent)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{_fmt(value, percent)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped


def columns(labels: Sequence[str], values: Sequence[float | None], *, title: str = "",
            line: Sequence[float | None] | None = None, line_label: str = "", width: int = 640,
            height: int = 240) -> SafeString:
    """Columns for ``values`` (left axis) and an optional line of shares 0…1 (right axis)."""
    top, bottom, left, right = (30 if title else 10), 36, 48, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for v in values if v is not None], default=0) or 1
    step = plot_w / max(len(labels), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             'style="max-width:100%;height:auto" '
             f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">']
    if title:
        parts.append(f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 10}" text-anchor="end">{_fmt(peak, False)}</text>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step
        if value:
            h = plot_h * value / peak
            parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{escape(label)}: {_fmt(value, False)}'
                         f'</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                     f'{escape(label[-5:])}</text>')
    if line is not None:
        points = [(left + i * step + step / 2, top + plot_h * (1 - v)) for i, v in enumerate(line) if v is not None]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[1]}"/>' for x, y in points)
        parts.append(f'<text x="{left + plot_w + 4}" y="{top + 10}">100%</text>')
        parts.append(f'<text x="{left}" y="{height - 4}" fill="{PALETTE[1]}">— {escape(line_label)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node above is escaped


def sparkline(values: Sequence[float | None], labels: Sequence[str], *, width: int = 120,
              height: int = 28) -> SafeString:
    """A tiny column sparkline (12 months of volume in the scorecard table)."""
    peak = max([v or 0 for v in values], default=0) or 1
    step = width / max(len(values), 1)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        h = (height - 2) * (value or 0) / peak
        bars.append(f'<rect x="{i * step + 1:.1f}" y="{height - h:.1f}" width="{step - 2:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[0]}"><title>{escape(label)}: {_fmt(value or 0, False)}</title></rect>')
    label = escape(gettext("динамика за 12 месяцев"))
    return mark_safe(  # noqa: S308 - labels are escaped, numbers formatted
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{label}">{"".join(bars)}</svg>')
