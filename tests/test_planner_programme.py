"""The workshop planner: the organiser shapes the proposals and prints or downloads the programme
she edited (issue 15 §3)."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

from flask.testing import FlaskClient

from kb.knowledge_base import KnowledgeBase
from kb.planner import candidates, choose, read_block
from tests.test_web_contributions import csrf

TOPIC = {"sujet": "la mobilisation des publics féminins", "region": "Grand Est", "intervenants": "2"}


def ids(html: str, kind: str = "proposal") -> list[str]:
    return re.findall(rf'<article class="card {kind}" data-sheet="([^"]+)">', html)


def test_choose_excludes_pins_and_keeps_the_rest_in_order(kb: KnowledgeBase) -> None:
    ranked = candidates(kb, TOPIC["sujet"], "Grand Est")
    first, more = choose(ranked, 2)
    assert len(first) == 2 and more
    top = first[0].hit.sheet.id
    replaced, _ = choose(ranked, 2, excluded={top})
    assert top not in [p.hit.sheet.id for p in replaced] and len(replaced) == 2
    assert replaced[0].hit.sheet.id == first[1].hit.sheet.id  # the others move up, the next one joins
    last = more[-1].hit.sheet.id
    pinned, _ = choose(ranked, 3, pinned={last})
    assert pinned[0].hit.sheet.id == last


def test_replace_remove_and_add_through_links(client: FlaskClient) -> None:
    html = client.get("/ateliers/planifier?" + urlencode(TOPIC)).get_data(as_text=True)
    shown, extra = ids(html), ids(html, "candidate")
    assert len(shown) == 2 and extra and "autres pratiques candidates" in html
    replace = re.search(r'href="([^"]+)">Remplacer par la suivante', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    after = client.get(replace).get_data(as_text=True)
    assert ids(after)[0] == shown[1] and shown[0] not in ids(after) and len(ids(after)) == 2
    assert "1 pratique écartée" in after
    remove = re.search(r'href="([^"]+)">Retirer', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert ids(client.get(remove).get_data(as_text=True)) == shown[1:]
    add = re.findall(r'href="([^"]+)">Ajouter au programme', html)[-1].replace("&amp;", "&")
    added = client.get(add).get_data(as_text=True)
    assert ids(added)[0] == extra[-1] and len(ids(added)) == 3


def test_the_edited_programme_is_what_prints_and_downloads(client: FlaskClient) -> None:
    token = csrf(client, "/ateliers/planifier?" + urlencode(TOPIC))
    edited = (
        "Atelier C) Mobiliser les femmes des quartiers\n\n"
        "Jeanne DUPONT, Directrice, Association Exemple\n    Pratique : Un job-dating inversé\n\n"
        "Table ronde avec les entreprises du territoire\n"
    )
    form = {**TOPIC, "bloc": edited, "csrf_token": token}
    preview = client.post("/ateliers/planifier", data={**form, "action": "apercu"}).get_data(as_text=True)
    preview = preview.replace("\u00a0", " ").replace("\u202f", " ")  # French spacing
    programme = preview[preview.index('<article class="programme">') :]
    assert '<span class="programme-label">Atelier C</span> Mobiliser les femmes des quartiers' in programme
    assert "<strong>Jeanne DUPONT</strong>, Directrice, Association Exemple" in programme
    assert "Pratique présentée : <em>Un job-dating inversé</em>" in programme
    assert "Table ronde avec les entreprises du territoire" in programme
    assert ids(preview)  # the proposals stay on the page
    markdown = client.post("/ateliers/planifier", data={**form, "action": "markdown"})
    assert markdown.mimetype == "text/markdown" and markdown.get_data(as_text=True) == edited
    assert 'filename="atelier-c-mobiliser-les-femmes-des-quartiers.md"' in markdown.headers["Content-Disposition"]
    pdf = client.post("/ateliers/planifier", data={**form, "action": "pdf"})
    assert pdf.mimetype == "application/pdf"
    assert 'filename="atelier-c-mobiliser-les-femmes-des-quartiers.pdf"' in pdf.headers["Content-Disposition"]
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Mobiliser les femmes des quartiers" in text and "Jeanne DUPONT" in text and "Un job-dating inversé" in text


def test_read_block_keeps_every_line() -> None:
    found = read_block("Un atelier sans lettre\n\nA, B\n  Pratique : P\n  une note\nC\n")
    assert (found.label, found.title) == ("", "Un atelier sans lettre")
    assert found.interventions[0].speakers == ["A, B"] and found.interventions[0].practice == "P"
    assert found.interventions[0].notes == ["une note", "C"]
    assert found.filename == "un-atelier-sans-lettre"


def test_proposals_follow_the_topic_and_mark_only_telling_words(kb: KnowledgeBase, client: FlaskClient) -> None:
    topic = "la clause sociale dans les marchés de services"
    first, _ = choose(candidates(kb, topic), 3)
    assert all("services" in p.hit.sheet.market_types for p in first[:2])  # the sheets tagged « Marchés de services »
    marked = {text.casefold() for p in first for text, on in p.hit.snippet.segments if on}
    assert not marked & {"clause", "clauses", "sociale", "sociales"}  # words most sheets hold point at nothing
    html = client.get("/ateliers/planifier?" + urlencode({"sujet": topic})).get_data(as_text=True)
    proposals = html[html.index('id="propositions"') : html.index('id="deja"')]
    assert "<mark>clause</mark>" not in proposals and "<mark>sociale</mark>" not in proposals
