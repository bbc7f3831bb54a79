"""Bar charts as SVG, drawn by the app: no script, no external library, readable in print.

Only presentation attributes (no style attribute), so the pages keep their strict CSP. Labels
wrap on as many lines as they need (never cut); each bar is as tall as its label.
"""

from __future__ import annotations

import textwrap
from html import escape

from markupsafe import Markup

BAR = 22
GAP = 8
LINE = 16  # height of one line of label
LABEL_WIDTH = 300
LABEL_CHARS = 36  # about what fits in LABEL_WIDTH at 13 px
CHART_WIDTH = 640


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, count), the count written at the end of each bar."""
    top = max((n for _, n in items), default=0) or 1
    span = CHART_WIDTH - LABEL_WIDTH - 50
    rows = []
    y = GAP
    for label, count in items:
        lines = textwrap.wrap(label, LABEL_CHARS, break_long_words=False) or [""]
        height = max(BAR, len(lines) * LINE + 6)
        width = max(2, round(span * count / top)) if count else 0
        first = y + height / 2 - (len(lines) - 1) * LINE / 2 + 4.5
        tspans = "".join(
            f'<tspan x="{LABEL_WIDTH - 8}" y="{first + i * LINE:.1f}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        bar_y = y + (height - BAR) / 2
        rows.append(
            f"<g><title>{escape(label)} : {count}</title>"
            f'<text text-anchor="end" font-size="13" fill="#1d2433">{tspans}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{bar_y:.1f}" width="{width}" height="{BAR}" rx="3" fill="#1f5fa8"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{bar_y + BAR * 0.7:.1f}" font-size="13" fill="#1d2433">'
            f"{count}</text></g>"
        )
        y += height + GAP
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'viewBox="0 0 {CHART_WIDTH} {y}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{escape(chart_id)}-title">{escape(title)}</title>'
        + "".join(rows)
        + "</svg>"
    )
