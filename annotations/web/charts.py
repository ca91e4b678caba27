"""A small server-rendered SVG chart: link checks per day, stacked by health (pure)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Drawing order (bottom to top) and colours; the legend and the data table carry the text.
SERIES = (
    ("ok", "ok", "#2f7d4f"),
    ("redirected", "redirected", "#6c8fb8"),
    ("blocked", "blocked", "#c9a227"),
    ("error", "error", "#d98c3a"),
    ("soft_404", "soft 404", "#b35c8a"),
    ("broken", "broken", "#c0392b"),
    ("dead", "dead", "#6b1d1d"),
    ("unsafe", "unsafe", "#555555"),
)


def health_chart_svg(days: list[dict[str, Any]]) -> SafeString:
    """The chart twice: for a wide screen, and drawn for a phone's width (CSS shows one), where
    the wide one shrunk to fit would leave its dates and counts a few pixels tall."""
    return mark_safe(  # noqa: S308 - both parts are built below from numbers and fixed labels
        _chart_svg(days, width=640, height=180, title_id="hc", css_class="chart")
        + _chart_svg(days, width=340, height=200, title_id="hc-narrow", css_class="chart-narrow")
    )


def _chart_svg(
    days: list[dict[str, Any]], *, width: int, height: int, title_id: str, css_class: str
) -> str:
    pad_left, pad_bottom, pad_top = 32, 22, 8
    plot_w = width - pad_left - 4
    plot_h = height - pad_bottom - pad_top
    totals = [sum(d["counts"].values()) for d in days] or [0]
    peak = max(max(totals), 1)
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.72, 1.0)
    parts = [
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{title_id}" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{title_id}">Link checks per day over the last {len(days)} days, '
        f"by result; the table below has the numbers.</title>",
        f'<line x1="{pad_left}" y1="{pad_top + plot_h}" x2="{width - 4}" '
        f'y2="{pad_top + plot_h}" class="axis"/>',
        f'<text x="{pad_left - 6}" y="{pad_top + 8}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{pad_left - 6}" y="{pad_top + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    for i, day in enumerate(days):
        x = pad_left + i * slot + (slot - bar_w) / 2
        y = pad_top + plot_h
        for key, label, colour in SERIES:
            n = day["counts"].get(key, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(day["day"].isoformat())}: {n} {label}'
                "</title></rect>"
            )
        last = i == len(days) - 1
        if i % 7 == 0 or (last and i % 7 >= 4):  # the last day unless a label sits near it
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" class="tick" '
                f'text-anchor="middle">{day["day"].strftime("%d %b")}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
