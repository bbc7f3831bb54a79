"""PDF documents: A4, running header, page numbers, a table of contents matching the pages."""

from __future__ import annotations

import io
import re

import pytest

from kb.pdf import render_pdf

pypdf = pytest.importorskip("pypdf")

DOCUMENT = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>t</title></head><body>
<section class="cover"><h1>Recueil d'essai</h1><p>Trois parties.</p></section>
<nav class="toc"><h2 class="running-title">Sommaire des œuvres</h2><ol>
{toc}</ol></nav>
{parts}
</body></html>"""


def page_texts(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_a4_header_page_numbers_and_table_of_contents() -> None:
    names = ["Cœur « de » métier", "Deuxième partie", "Troisième partie"]
    toc = "".join(f'<li><a class="page-ref" href="#p{i}">{name}</a></li>' for i, name in enumerate(names))
    filler = "<p>" + "Un paragraphe assez long pour remplir la page. " * 60 + "</p>"
    parts = "".join(
        f'<section id="p{i}" style="break-before: page"><h2>{name}</h2>{filler * (i + 1)}</section>'
        for i, name in enumerate(names)
    )
    pdf = render_pdf(DOCUMENT.format(toc=toc, parts=parts))
    assert pdf.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    texts = page_texts(pdf)
    total = len(texts)
    assert "Recueil d'essai" in texts[0] and "Sommaire des œuvres" not in texts[0]  # the cover has no header
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} sur {total}" in text
    assert all("Sommaire des œuvres" in text for text in texts[1:])  # running header
    # each entry of the table of contents gives the page where its part begins
    toc_text = texts[1]
    for name in names:
        found = re.search(re.escape(name) + r"[ .]*?(\d+)", toc_text)
        assert found, (name, toc_text)
        first_page = next(n for n, text in enumerate(texts[2:], start=3) if name in text)
        assert int(found.group(1)) == first_page, (name, toc_text)


def test_header_argument_replaces_the_running_title() -> None:
    pdf = render_pdf(
        '<html lang="fr"><body><h1 class="cover">Couverture</h1><p>Texte : « bonjour » ; ça va ?</p></body></html>',
        header='Fiche « test » \\ "citée"',
    )
    texts = page_texts(pdf)
    assert len(texts) == 2
    assert 'Fiche « test » \\ "citée"' in texts[1]
    assert "Texte : « bonjour » ; ça va ?" in texts[1]
