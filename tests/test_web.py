"""Every page and API route through Flask's test client, on the real corpus and model."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from kb.knowledge_base import KnowledgeBase
from kb.markdown_io import write_sheet
from kb.sheet import SECTIONS, Sheet
from tests.helpers import CountingEncoder
from tests.inert import active_content


def card_ids(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/fiches/([^"?]+)(?:\?[^"]*)?">', html)


def test_home_search_puts_the_expected_sheet_first_and_says_why(client: FlaskClient) -> None:
    response = client.get("/?q=mobiliser+les+publics+féminins")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert card_ids(html)[0] == "creativ-dijon-demarche-territoriale"
    assert '<span class="part">' in html and "<mark>" in html
    assert re.search(r"class=\"count\">\d+(\s|&nbsp;|\u202f)fiches? correspond(ent)? à votre recherche</h1>", html)
    assert "Autres fiches qui pourraient vous intéresser" in html


def test_english_query_works_in_the_page(client: FlaskClient) -> None:
    html = client.get("/?q=intellectual+services+contracts").get_data(as_text=True)
    assert card_ids(html)[0] == "creativ21-vnf-prestations-intellectuelles"


def test_facets_have_counts_and_filters_live_in_the_url(client: FlaskClient) -> None:
    html = client.get("/?q=insertion").get_data(as_text=True)
    assert re.search(r'data-facet="theme" data-value="economie-circulaire">.*?<span class="count">3</span>', html, re.S)
    filtered = client.get("/?q=insertion&theme=economie-circulaire").get_data(as_text=True)
    assert len(card_ids(filtered)) == 3
    assert "Thème\u00a0: Économie circulaire et réemploi" in filtered  # removable chip
    both = client.get("/?theme=economie-circulaire&market_type=travaux").get_data(as_text=True)
    assert card_ids(both) == ["rectorat-besancon-economie-circulaire"]
    # the chip's link removes its filter and keeps the other
    chip = re.search(r'<ul class="chips".*?<a href="([^"]+)"', both, re.S)
    assert chip is not None
    assert "market_type=travaux" in chip.group(1).replace("&amp;", "&") and "theme=" not in chip.group(1)


def test_pagination(client: FlaskClient) -> None:
    first = card_ids(client.get("/?q=clause").get_data(as_text=True))
    second = card_ids(client.get("/?q=clause&page=2").get_data(as_text=True))
    assert len(first) == 10 and len(second) == 1 and not set(first) & set(second)
    for page in ("-4", "0", "abc"):
        assert client.get(f"/?q=clause&page={page}").status_code == 200
    beyond = client.get("/?q=clause&page=99")  # « page 99 » of 2 pages: said so, not an empty list
    assert beyond.status_code == 404 and "Il n'y a pas de page 99" in beyond.get_data(as_text=True)


def test_empty_state_suggests_ways_out(client: FlaskClient) -> None:
    html = client.get("/?q=jeunes&region=Grand+Est").get_data(as_text=True)
    assert "Aucune fiche ne correspond à «\u202fjeunes\u202f» avec ce filtre." in html
    assert "Retirer le filtre «\u202fRégion\u00a0: Grand Est\u202f»" in html and "Thème proche" in html


def test_sheet_page(client: FlaskClient) -> None:
    html = client.get("/fiches/intermed-groupement-associations-intermediaires").get_data(as_text=True)
    for heading in SECTIONS.values():
        assert f"<h2>{heading}</h2>" in html
    assert "Mathilde HUOT-MARCHAND" in html and "Directrice" in html
    assert "Rencontre régionale des acteurs de Bourgogne-Franche-Comté" in html and "Atelier B" in html
    assert "004_bdbe0e25aa20be7f.txt" not in html  # the source as people name it, never a file name
    assert 'rel="canonical" href="http://localhost/fiches/intermed-groupement-associations-intermediaires"' in html
    similar = re.search(r'<aside class="similar".*?</aside>', html, re.S)
    assert similar is not None and 3 <= similar.group(0).count("<li>") <= 5
    assert 'media="print"' in html


def test_empty_part_says_so(client: FlaskClient) -> None:
    html = client.get("/fiches/agire-reseau-regional-facilitateurs").get_data(as_text=True)
    assert "Non renseigné\u00a0: Conseils, Perspectives" in html  # empty parts folded into one line
    assert html.count('<section class="part"') == 3


def test_downloads(client: FlaskClient) -> None:
    md = client.get("/fiches/anar-usine-de-tri-sieen.md")
    assert md.mimetype == "text/markdown" and md.get_data(as_text=True).startswith("---\ntitle:")
    assert "attachment" in md.headers["Content-Disposition"]
    data = client.get("/fiches/anar-usine-de-tri-sieen.json")
    assert json.loads(data.get_data(as_text=True))["id"] == "anar-usine-de-tri-sieen"


def test_browse_sorts(client: FlaskClient) -> None:
    by_title = card_ids(client.get("/fiches").get_data(as_text=True))
    assert len(by_title) == 10
    reverse = card_ids(client.get("/fiches?ordre=desc").get_data(as_text=True))
    assert reverse[0] != by_title[0]
    assert client.get("/fiches?tri=region").status_code == 200
    assert client.get("/fiches?tri=nimporte").status_code == 200


def test_meetings_page_lists_workshops_and_practices(client: FlaskClient) -> None:
    html = client.get("/rencontres").get_data(as_text=True)
    assert "Rencontre régionale des acteurs de Grand Est" in html and "4 octobre 2022" in html
    assert "Atelier n°3" in html and "Catherine DORPE" in html
    assert html.count('href="/fiches/') == 11


def test_french_error_pages_without_traces(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/fiches/n-existe-pas")
    assert page.status_code == 404 and "Page introuvable" in page.get_data(as_text=True)
    api = client.get("/api/practices/n-existe-pas")
    assert api.status_code == 404 and api.json == {"error": {"status": 404, "message": "Cette page n'existe pas."}}
    assert client.post("/").status_code == 405


def test_500_page_shows_no_stack_trace() -> None:
    from web import create_app

    class Broken(KnowledgeBase):
        def __init__(self) -> None:  # a knowledge base whose search always fails
            self.encoder = CountingEncoder()

        def search(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("secret internal detail /etc/passwd")

    app = create_app({"KNOWLEDGE_BASE": Broken(), "TESTING": False})
    client = app.test_client()
    response = client.get("/?q=x")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Erreur du serveur" in text and "secret internal detail" not in text and "Traceback" not in text
    api = client.get("/api/search?q=x")
    assert api.status_code == 500 and "secret" not in api.get_data(as_text=True)


def test_security_headers(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_asset_comes_from_the_network(client: FlaskClient) -> None:
    for url in ("/", "/fiches/anar-usine-de-tri-sieen", "/rencontres"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html.replace('href="http://localhost', ""))


# -- JSON API --------------------------------------------------------------------------------------
def test_api_search(client: FlaskClient) -> None:
    data = client.get("/api/search?q=nettoyage+de+chantiers+par+des+jeunes&limit=2").json
    assert data["hits"][0]["id"] == "tapaj-c3b-nettoyage-chantiers-jeunes" and len(data["hits"]) == 2
    filtered = client.get("/api/search?q=insertion&theme=economie-circulaire&limit=50").json
    assert filtered["total"] == 3


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=101", "offset=-1", "offset=x"])
def test_api_rejects_bad_numbers_with_a_message(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400 and "Le paramètre" in response.json["error"]["message"]


def test_api_practices_facets_similar(client: FlaskClient) -> None:
    listing = client.get("/api/practices?limit=5").json
    assert listing["total"] == 11 and len(listing["practices"]) == 5 and "sections" not in listing["practices"][0]
    one = client.get("/api/practices/tapaj-c3b-nettoyage-chantiers-jeunes").json
    assert one["sections"]["objectives"].startswith("Proposer des heures")
    similar = client.get("/api/practices/tapaj-c3b-nettoyage-chantiers-jeunes/similar?limit=3").json["similar"]
    assert len(similar) == 3
    facets = client.get("/api/facets?q=jeunes&region=Bourgogne-Franche-Comté").json
    assert {f["name"] for f in facets["facets"]} == {
        "region",
        "theme",
        "public",
        "market_type",
        "actor_type",
        "event",
        "year",
    }


def test_openapi_lists_every_api_route(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/openapi.json").json
    documented = {p.replace("{sheet_id}", "<sheet_id>") for p in spec["paths"]}
    served = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/") and r.rule != "/api/openapi.json"}
    assert documented == served


# -- hostile content is inert -------------------------------------------------------------------
HOSTILE = {
    "context": "<script>alert('x')</script> texte",
    "objectives": '<img src=x onerror="alert(1)"> image',
    "actions": '[cliquez](javascript:alert(1)) et <a href="javascript:alert(2)">lien</a>',
    "advice": '<iframe src="https://evil.example"></iframe><svg onload=alert(3)>',
    "outlook": "<b onmouseover=alert(4)>gras</b>",
}


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from web import create_app

    folder = tmp_path_factory.mktemp("hostile")
    practices = folder / "practices"
    sheet = Sheet(
        id="fiche-piegee",
        title="<script>alert('titre')</script> Fiche piégée",
        organisations=["<img src=x onerror=alert(5)>"],
        sections=dict(HOSTILE),
    )
    write_sheet(sheet, practices)
    kb = KnowledgeBase(folder / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    kb.import_practices(practices)
    kb.update_vectors()
    return create_app({"KNOWLEDGE_BASE": kb, "TESTING": True}).test_client()


@pytest.mark.parametrize("url", ["/fiches/fiche-piegee", "/?q=fiche", "/fiches", "/?q=script"])
def test_hostile_sheet_renders_inert(hostile_client: FlaskClient, url: str) -> None:
    html = hostile_client.get(url).get_data(as_text=True)
    assert active_content(html) == []
    assert "javascript:" not in html


def test_hostile_query_is_escaped(client: FlaskClient) -> None:
    html = client.get("/?q=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
