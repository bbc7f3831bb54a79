"""The facilitator's site (issue 14) through the app: home, results, sheet, documents, French."""

from __future__ import annotations

import io
import re
from html import unescape
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient

from kb.french import NARROW_NBSP, NBSP
from kb.vocabulary import sources

pypdf = pytest.importorskip("pypdf")
DIJON = "creativ-dijon-demarche-territoriale"
AGIRE = "agire-reseau-regional-facilitateurs"
FILE_NAME = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_french_spacing_on_pages_never_in_downloads(client: FlaskClient) -> None:
    page = client.get(f"/fiches/{DIJON}").get_data(as_text=True)
    assert f"Lien permanent{NBSP}:" in page
    markdown = client.get(f"/fiches/{DIJON}.md")
    assert markdown.headers["Content-Type"] == "text/markdown; charset=utf-8"
    exported = client.get(f"/fiches/{DIJON}.json").get_data(as_text=True)
    for text in (markdown.get_data(as_text=True), exported):
        assert NBSP not in text and NARROW_NBSP not in text


def test_home_introduces_the_collection(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    text = text_of(html)
    assert "<h1" in html and "Recueil des bonnes pratiques de la clause sociale" in text
    assert "11 pratiques présentées lors de la rencontre régionale des acteurs de Bourgogne-Franche-Comté" in text
    assert re.search(
        r'href="/\?theme=economie-circulaire">Économie circulaire et réemploi</a> <span class="count">3 fiches', html
    )
    assert 'href="/?public=jeunes">Jeunes</a> <span class="count">1 fiche</span>' in html
    assert len(re.findall(r'<ol class="latest-list">(.*?)</ol>', html, re.S)[0].split("<li>")) == 6  # five latest
    assert "publiée le" in text and re.search(r"publiée le \d{1,2}(er)? \w+ 20\d\d", text)
    assert "Rencontre régionale Hauts-de-France" in text and "aucune fiche pour l'instant" in text
    assert 'href="/contribuer"' in html
    assert 'class="cards"' not in html  # no result list on the home page
    # with a query, or a filter, the same address is the results page, with its <h1>
    results = client.get("/?q=").get_data(as_text=True)
    assert '<h1 id="resultats" class="count">11 fiches</h1>' in results
    filtered = client.get("/?theme=economie-circulaire").get_data(as_text=True)
    assert "3 fiches avec ce filtre</h1>" in filtered


def test_results_fold_the_filters_and_link_the_tags(client: FlaskClient) -> None:
    html = client.get("/?q=jeunes&public=jeunes").get_data(as_text=True)
    assert "<summary>Filtrer (1)</summary>" in html
    assert html.index('<details class="filters"') < html.index('<ol class="cards"')
    assert "<summary>Filtrer</summary>" in client.get("/?q=clause").get_data(as_text=True)
    themes = client.get("/?q=clause").get_data(as_text=True).split("<h3>Thèmes</h3>")[1].split("</section>")[0]
    shown, folded = themes.split('<details class="more">')  # the tail of a long group is folded
    assert shown.count("<li>") == 6 and folded.count("<li>") > 0 and "Voir plus" in folded
    card = re.search(r'<article class="card">.*?</article>', html, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r'<ul class="tags"[^>]*><li><a href="/\?theme=', card)  # tags are links on cards too
    link = re.search(r'<h3><a href="([^"]+)"', card).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "retour=" in link
    sheet = client.get(link).get_data(as_text=True)
    back = re.search(r'<p class="back"><a href="([^"]+)"', sheet).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert back == "/?q=jeunes&public=jeunes"  # « Retour aux résultats » keeps the query and filters
    for hostile in ("https://example.org/?q=x", "//example.org/", "/moderation"):
        assert '<p class="back">' not in client.get(f"/fiches/{DIJON}?retour={hostile}").get_data(as_text=True)


def test_sheet_page_she_can_forward(client: FlaskClient) -> None:
    html = client.get(f"/fiches/{AGIRE}").get_data(as_text=True)
    text = text_of(html)
    summary = re.search(r'<section class="summary"[^>]*>\s*<h2 id="en-bref">En bref</h2>\s*<p>(.*?)</p>', html, re.S)
    assert summary and summary.group(1).startswith("Les facilitatrices et les facilitateurs de la clause")
    assert html.index('class="summary"') < html.index('class="facts"')  # the first screen is not only metadata
    assert f'<meta name="description" content="{summary.group(1)[:40]}' in html
    for prop in ("og:title", "og:description", "og:url", "og:type", "og:locale"):
        assert f'<meta property="{prop}"' in html
    assert "Présentée le 10 mai 2022" in text
    assert re.search(r"Publiée dans Recueil le \d{1,2}(er)? \w+ 20\d\d", text)
    assert not FILE_NAME.search(html)
    if sources():  # kb/data/sources.yaml names the seed documents
        assert "Compte rendu de la rencontre régionale Bourgogne-Franche-Comté, 10 mai 2022" in text
    # the speaker line does not repeat the sheet's only organisation
    assert "<strong>Fabienne Sermesse</strong>, Facilitatrice</li>" in html
    mail = re.search(r'href="(mailto:[^"]+)"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert unquote(mail).startswith("mailto:?subject=Une pratique de la clause sociale : Le réseau régional")
    assert f"http://localhost/fiches/{AGIRE}" in unquote(mail)
    assert 'data-copy="http://localhost/fiches/' in html and f'href="/fiches/{AGIRE}.pdf"' in html
    assert "Demander une mise en relation" in text and 'name="csrf_token"' in html


def test_meetings_show_sources_by_name_and_say_online_once(client: FlaskClient) -> None:
    html = client.get("/rencontres").get_data(as_text=True)
    assert not FILE_NAME.search(html)
    assert "en ligne (visioconférence) · en ligne" not in html and "en ligne (visioconférence)" in html
    assert "Introduction : Introduction" not in html.replace(NBSP, " ")
    form = client.get("/contribuer").get_data(as_text=True)
    assert "Introduction : Introduction" not in form and ">Introduction</option>" in form
    assert ("Types de marchés" in form and "Types de marchés" in html) or "Types de marchés" in form


def pdf_pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_compendium_pdf_cover_contents_header_and_every_sheet(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/recueil.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.data)
    total = len(pages)
    assert "11 fiches pratiques" in pages[0] and re.search(r"Édité le \d{1,2}(er)? \w+ 20\d\d", pages[0])
    assert "Sommaire" in pages[1]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} sur {total}" in page
        if number > 1:
            assert "Recueil de bonnes pratiques de la clause sociale" in page  # running header
    store = app.extensions["recueil"].kb.store
    body = " ".join(pages[2:])
    toc = " ".join(pages[1:3])
    for sheet in store.sheets():
        # every sheet's title and its written parts are in the document
        assert sheet.title in body, sheet.id
        first_words = " ".join(re.sub(r"[*_#>-]", " ", sheet.sections["context"]).split()[:6])
        assert first_words in body, (sheet.id, first_words)
        # the table of contents gives the page where the sheet begins
        found = re.search(re.escape(sheet.title[-30:]) + r"[ .]*?(\d+)\b", toc)
        assert found, sheet.title
        page = int(found.group(1))
        assert sheet.title[:40] in pages[page - 1], (sheet.id, page)


def test_pdf_of_a_selection_and_of_a_sheet(client: FlaskClient) -> None:
    pages = pdf_pages(client.get("/recueil.pdf?theme=economie-circulaire").data)
    assert "3 fiches pratiques" in pages[0] and "Sélection : Thème : Économie circulaire et réemploi" in pages[0]
    results = client.get("/?theme=economie-circulaire").get_data(as_text=True)
    assert 'href="/recueil.pdf?theme=economie-circulaire">le recueil de ces 3 fiches en PDF</a>' in results
    sheet = client.get(f"/fiches/{AGIRE}.pdf")
    assert sheet.headers["Content-Disposition"] == f'attachment; filename="{AGIRE}.pdf"'
    text = " ".join(pdf_pages(sheet.data))
    assert "Le réseau régional des facilitateurs" in text and "En bref" in text
    assert "Contexte" in text and "Actions menées" in text and "Non renseigné : Conseils, Perspectives" in text
    assert "Page 1 sur" in text and not FILE_NAME.search(text)
