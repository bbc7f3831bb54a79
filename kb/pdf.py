"""HTML to a printable PDF document: A4, a running header, page numbers (CSS paged media).

WeasyPrint rather than a headless browser's "print": it implements the paged-media features a
document needs and Chromium does not (``target-counter()`` for a table of contents whose page
numbers match the pages, ``string-set`` for running headers, ``counter(pages)``), runs in
process without a browser, and is the Python standard. It is imported when a PDF is asked for:
importing it costs about half a second.

Documents use these conventions (styles of their own come after and may override them):

- the running header is the text of the first element with class ``running-title``
  (e.g. ``<h1 class="running-title">``), or the ``header`` argument when given;
- ``<a class="page-ref" href="#id">`` is followed by the page number of ``#id`` (tables of
  contents);
- an element with class ``cover`` is alone on the first page, which has no header.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_CSS = """
@page {
  size: A4;
  margin: 2.2cm 1.9cm 2cm;
  @top-left { content: string(running-title); font: 8.5pt "DejaVu Sans", sans-serif; color: #555;
              vertical-align: bottom; padding-bottom: .3cm; }
  @bottom-right { content: "Page " counter(page) " sur " counter(pages);
                  font: 8.5pt "DejaVu Sans", sans-serif; color: #555; }
}
@page :first { @top-left { content: none; } }
html { font: 10.5pt/1.45 "DejaVu Serif", Georgia, serif; color: #111; }
h1, h2, h3, h4 { font-family: "DejaVu Sans", sans-serif; line-height: 1.25; break-after: avoid; }
.running-title { string-set: running-title content(text); }
.cover { break-after: page; }
a { color: inherit; text-decoration: none; }
a.page-ref::after { content: leader(". ") target-counter(attr(href), page); }
.no-pdf { display: none; }
"""


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def render_pdf(
    html: str,
    base_url: str | None = None,
    *,
    header: str | None = None,
    stylesheets: Sequence[str] = (),
) -> bytes:
    """The PDF of an HTML document (A4, header, « Page n sur N »), as bytes.

    ``base_url`` resolves relative links and images; ``stylesheets`` are extra CSS texts applied
    after the page conventions above; ``header`` replaces the running title taken from the page.
    """
    from weasyprint import CSS, HTML

    css = [PAGE_CSS, *stylesheets]
    if header is not None:
        css.append(f"@page {{ @top-left {{ content: {_css_string(header)}; }} }}")
        css.append("@page :first { @top-left { content: none; } }")
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=[CSS(string=text) for text in css])
