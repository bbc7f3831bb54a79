"""PDF downloads: a page's HTML, with French spacing, through ``kb.pdf`` (WeasyPrint, lazily)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app

from kb.french import french_spacing


def document_css() -> str:
    """The stylesheet of a sheet on paper (the compendium brings its own, ``kb/templates``)."""
    return (Path(current_app.static_folder or "") / "document.css").read_text(encoding="utf-8")


def pdf_response(html: str, filename: str, header: str | None = None) -> Response:
    from kb.pdf import render_pdf

    pdf = render_pdf(french_spacing(html), header=header, stylesheets=[document_css()])
    return Response(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
