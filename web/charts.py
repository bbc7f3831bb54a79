"""Bar charts as SVG, drawn by the app: no script, no external library, readable in print.

Only presentation attributes (no style attribute), so the pages keep their strict CSP.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BAR = 22
GAP = 8
LABEL_WIDTH = 300
CHART_WIDTH = 640


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per (label, count), the count written at the end of each bar."""
    top = max((n for _, n in items), default=0) or 1
    height = len(items) * (BAR + GAP) + GAP
    span = CHART_WIDTH - LABEL_WIDTH - 50
    rows = []
    for i, (label, count) in enumerate(items):
        y = GAP + i * (BAR + GAP)
        width = max(2, round(span * count / top)) if count else 0
        short = label if len(label) <= 38 else label[:36] + "…"
        rows.append(
            f"<g><title>{escape(label)} : {count}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" font-size="13" fill="#1d2433">'
            f"{escape(short)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR}" rx="3" fill="#1f5fa8"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR * 0.7:.1f}" font-size="13" fill="#1d2433">'
            f"{count}</text></g>"
        )
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{escape(chart_id)}-title">{escape(title)}</title>'
        + "".join(rows)
        + "</svg>"
    )
