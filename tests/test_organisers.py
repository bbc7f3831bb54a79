"""Organisers: topics, coverage, the workshop planner, charts (real model, seed corpus)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from kb.cli import main
from kb.coverage import ELSEWHERE, UNDOCUMENTED, coverage
from kb.knowledge_base import KnowledgeBase
from kb.planner import plan, workshop_block
from kb.topics import rename, topics
from kb.vocabulary import meetings, vocabulary
from tests.helpers import ROOT


def test_topics_cover_every_sheet_once_and_are_stable(kb: KnowledgeBase) -> None:
    first = topics(kb.store, kb.encoder.model_id)
    second = topics(kb.store, kb.encoder.model_id)
    assert [t.members for t in first] == [t.members for t in second]
    members = [m for t in first for m in t.members]
    assert sorted(members) == sorted(kb.store.sheet_ids())
    assert 2 <= len(first) <= 6
    circular = next(t for t in first if "sdat-economie-circulaire-rives-de-saone" in t.members)
    assert "rectorat-besancon-economie-circulaire" in circular.members
    assert all(t.words and t.central for t in first)


def test_topics_are_the_same_in_another_process(built_dir) -> None:  # type: ignore[no-untyped-def]
    code = (
        "from kb.knowledge_base import KnowledgeBase; from kb.topics import topics; import sys; "
        f"kb = KnowledgeBase({str(built_dir)!r}, readonly=True); "
        "print([t.members for t in topics(kb.store, kb.encoder.model_id)])"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and "sdat-economie-circulaire-rives-de-saone" in runs[0]


def test_a_topic_keeps_its_name_while_it_persists(writable_kb: KnowledgeBase) -> None:
    found = topics(writable_kb.store, writable_kb.encoder.model_id)
    target = next(t for t in found if "sdat-economie-circulaire-rives-de-saone" in t.members)
    rename(writable_kb.store, target.members, "Économie circulaire et insertion", "alice")
    again = next(t for t in topics(writable_kb.store, writable_kb.encoder.model_id) if target.key == t.key)
    assert again.label == "Économie circulaire et insertion" and again.named
    # the topic loses most of its sheets: the name no longer applies
    for sheet_id in target.members[: len(target.members) // 2 + 1]:
        writable_kb.store.set_status(sheet_id, "unpublished")
    labels = [t.label for t in topics(writable_kb.store, writable_kb.encoder.model_id)]
    assert "Économie circulaire et insertion" not in labels


def test_coverage_counts_match_the_sheets(kb: KnowledgeBase) -> None:
    report = coverage(kb.store, topics(kb.store, kb.encoder.model_id))
    sheets = kb.store.sheets()
    for theme, counts in report.themes.items():
        expected = Counter(s.region for s in sheets if theme in s.themes)
        assert dict(counts) == dict(expected), theme
    assert {"Bourgogne-Franche-Comté", "Grand Est", "Hauts-de-France"} <= set(report.regions)
    ge = [w for w in report.workshops if w.region == "Grand Est" and w.session_label.startswith("Atelier")]
    assert len(ge) == 3 and ge[0].themes == ["mobilisation-publics", "formation"]
    bfc_a = next(
        w for w in report.workshops if w.region == "Bourgogne-Franche-Comté" and w.session_label == "Atelier A"
    )
    assert sorted(bfc_a.practices) == [
        "rectorat-besancon-economie-circulaire",
        "sdat-economie-circulaire-rives-de-saone",
    ]
    # every session is mapped by its own tags in meetings.yaml, nothing else
    sessions = {(m.id, s.label, s.title): list(s.themes) for m in meetings().values() for s in m.sessions}
    assert all(w.themes == sessions[(w.meeting_id, w.session_label, w.session_title)] for w in report.workshops)
    assert {k for k, v in sessions.items() if v} <= {
        (w.meeting_id, w.session_label, w.session_title) for w in report.workshops
    }


def test_coverage_highlights_real_gaps_only(kb: KnowledgeBase) -> None:
    report = coverage(kb.store, topics(kb.store, kb.encoder.model_id))
    # « La formation comme levier d'insertion »: Hauts-de-France's workshop n°2 and part of Grand Est's
    # workshop A, and no sheet documents it
    assert "formation" in report.gaps("Hauts-de-France", UNDOCUMENTED)
    assert "formation" in report.gaps("Grand Est", UNDOCUMENTED)
    assert report.cells[("formation", "Hauts-de-France")].sessions == ["Atelier n°2"]
    # regions without sheets are said once, not flagged in every cell
    assert report.without_sheets == ["Grand Est", "Hauts-de-France"]
    assert report.gaps("Grand Est", ELSEWHERE) == [] and report.gaps("Hauts-de-France", ELSEWHERE) == []
    themes_treated_in_ge = {t for w in report.workshops if w.region == "Grand Est" for t in w.themes}
    assert set(report.gaps("Grand Est", UNDOCUMENTED)) == themes_treated_in_ge
    assert report.gaps("Bourgogne-Franche-Comté", ELSEWHERE) == []  # every documented theme has a BFC sheet


def test_a_region_with_sheets_shows_themes_documented_elsewhere(writable_kb: KnowledgeBase) -> None:
    sheet = writable_kb.store.get_sheet("tapaj-c3b-nettoyage-chantiers-jeunes")
    assert sheet is not None
    sheet.id, sheet.region, sheet.event, sheet.workshop = "tapaj-copie-hdf", "Hauts-de-France", None, None
    writable_kb.save_sheet(sheet, status="published", origin="web")
    report = coverage(writable_kb.store, topics(writable_kb.store, writable_kb.encoder.model_id))
    elsewhere = report.gaps("Hauts-de-France", ELSEWHERE)
    assert "economie-circulaire" in elsewhere and "mobilisation-publics" not in elsewhere
    assert "Hauts-de-France" not in report.without_sheets


def test_overview_says_coverage_in_words(client: FlaskClient) -> None:
    html = client.get("/ateliers").get_data(as_text=True)
    table = html[html.index('class="table coverage"') : html.index("</table>", html.index('class="table coverage"'))]
    assert "†" not in table and "aucune fiche" in table and "À documenter" in table
    assert 'data-theme="formation" data-region="Hauts-de-France"' in table
    cell = table[table.index('data-theme="formation" data-region="Hauts-de-France"') :]
    assert "traité\u00a0: Atelier n°2" in cell[: cell.index("</td>")]
    assert html.count("<summary>Voir les données</summary>") == 4


def test_planner_distinct_organisations_and_region(kb: KnowledgeBase) -> None:
    proposals = plan(kb, "la mobilisation des publics féminins", region="Grand Est", speakers=3)
    assert proposals[0].hit.sheet.id == "creativ-dijon-demarche-territoriale"
    organisations = [o for p in proposals for o in p.hit.sheet.organisations]
    assert len(organisations) == len(set(organisations))
    assert all(p.tier == 1 and "région voisine" in p.reason for p in proposals)  # BFC borders Grand Est
    assert len(plan(kb, "économie circulaire", speakers=8)) <= 8


def test_planner_honours_the_region_before_other_relevance() -> None:
    from kb.planner import _tier

    assert _tier("Grand Est", "Grand Est") == 0
    assert _tier("Grand Est", "Bourgogne-Franche-Comté") == 1
    assert _tier("Grand Est", "Bretagne") == 2
    neighbours = vocabulary().neighbours
    assert all(region in neighbours[other] for region, others in neighbours.items() for other in others)


def test_planner_allows_the_same_organisation_only_when_asked(writable_kb: KnowledgeBase) -> None:
    from kb import contributions
    from kb.sheet import SECTIONS, Sheet

    twin = Sheet(
        id="creativ-bis",
        title="La mobilisation des publics féminins à Dijon, suite",
        organisations=["CREATIV'"],
        region="Bourgogne-Franche-Comté",
        themes=["diversification-publics"],
        sections={**dict.fromkeys(SECTIONS, ""), "context": "Les publics féminins et la clause sociale à Dijon."},
    )
    contributions.submit(writable_kb, twin, "A", "a@example.org")
    contributions.publish(writable_kb, "creativ-bis", "alice")
    one = [p.hit.sheet.id for p in plan(writable_kb, "publics féminins à Dijon", speakers=4)]
    assert not {"creativ-bis", "creativ-dijon-demarche-territoriale"} <= set(one)
    both = [
        p.hit.sheet.id for p in plan(writable_kb, "publics féminins à Dijon", speakers=4, allow_same_organisation=True)
    ]
    assert {"creativ-bis", "creativ-dijon-demarche-territoriale"} <= set(both)


def test_workshop_block_prints_like_the_programmes(kb: KnowledgeBase) -> None:
    block = workshop_block(
        "la commande publique et l'IAE", plan(kb, "structures de l'IAE et commande publique", speakers=2), "B"
    )
    lines = block.splitlines()
    assert lines[0] == "Atelier B) La commande publique et l'iae" or lines[0].startswith("Atelier B) ")
    assert "Mathilde HUOT-MARCHAND, Directrice, Intermed" in block or "Jean Philippe LAVERGNE, Directeur, ANAR" in block


def test_cli_topics_coverage_workshop(built_dir) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    index = ["--index-dir", str(built_dir)]
    assert "words:" in runner.invoke(main, ["topics", *index]).output
    assert "Gaps" in runner.invoke(main, ["coverage", *index]).output
    out = runner.invoke(main, ["workshop", "nettoyage de chantiers par des jeunes", "--speakers", "1", *index]).output
    assert (
        "Atelier A) Nettoyage de chantiers par des jeunes" in out and "Benjamin Joly, Chargé de mission, TAPAJ" in out
    )
    bad = runner.invoke(main, ["workshop", "x", "--region", "Atlantide", *index])
    assert bad.exit_code == 1 and "unknown region" in bad.output


def test_overview_page_charts_tables_equal_counts(client: FlaskClient, kb: KnowledgeBase) -> None:
    html = client.get("/ateliers").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 4
    table = re.search(r'id="par-region-table">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", table))
    assert rows == {"Bourgogne-Franche-Comté": "11"}
    theme_table = re.search(r'id="par-themes-table">.*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    counted = {
        k: int(v) for k, v in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", theme_table.replace("&#39;", "'"))
    }
    expected = Counter(vocabulary().label("themes", t) for s in kb.store.sheets() for t in s.themes)
    assert counted == dict(expected)
    assert "Ateliers déjà tenus" in html and "Sujets abordés" in html


@pytest.mark.parametrize(
    "query",
    [
        "sujet=la+mobilisation+des+publics+f%C3%A9minins&region=Grand+Est",
        "sujet=x&intervenants=-5&region=Nowhere",
        "sujet=" + "a" * 2000,
        "",
    ],
)
def test_planner_page(client: FlaskClient, query: str) -> None:
    response = client.get(f"/ateliers/planifier?{query}")
    assert response.status_code == 200
    if "f%C3%A9minins" in query:
        html = response.get_data(as_text=True)
        assert "Atelier A) La mobilisation des publics féminins" in html and "région voisine" in html


def test_planner_download_and_rename_need_the_form_token(client: FlaskClient) -> None:
    assert client.post("/ateliers/planifier", data={"bloc": "x", "action": "markdown"}).status_code == 400
    assert client.post("/ateliers/themes/x/renommer", data={"name": "x"}).status_code == 400
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/contribuer").get_data(as_text=True)
    )
    assert token is not None
    anonymous = client.post("/ateliers/themes/x/renommer", data={"name": "x", "csrf_token": token.group(1)})
    assert anonymous.status_code == 401
