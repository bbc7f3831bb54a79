"""Contributions, moderation, imports and exports at the library level (real model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import contributions, export
from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.passages import indexed_parts
from kb.report_parser import read_report
from kb.sheet import SECTIONS, Sheet
from kb.survey_csv import read_csv
from tests.helpers import ROOT

REPORT = ROOT / "tests" / "data" / "report-bourgogne-franche-comte-2022.txt"  # seed 004, as received


def draft(title: str = "Mobiliser les femmes sur les chantiers de nettoyage") -> Sheet:
    return Sheet(
        id="",
        title=title,
        organisations=["Association Exemple"],
        region="Grand Est",
        themes=["mobilisation-publics"],
        publics=["femmes"],
        sections={
            **dict.fromkeys(SECTIONS, ""),
            "context": "Peu de femmes bénéficient de la clause sociale.",
            "actions": "Des réunions d'information pour les **publics féminins** dans les quartiers.",
        },
    )


def test_submit_is_pending_until_published_then_searchable(writable_kb: KnowledgeBase) -> None:
    sheet = draft()
    sheet.id = contributions.new_sheet_id(writable_kb.store, sheet.title)
    token = contributions.submit(writable_kb, sheet, "Jeanne Martin", "jeanne@example.org")
    found = writable_kb.store.submission(token)
    assert found is not None and found.contact_email == "jeanne@example.org"
    assert len(found.similar) == 3 and found.similar[0]["id"] == "creativ-dijon-demarche-territoriale"
    assert sheet.id not in [h.sheet.id for h in writable_kb.search("publics féminins chantiers", limit=20).hits]
    contributions.publish(writable_kb, sheet.id, "alice")
    hits = [h.sheet.id for h in writable_kb.search("publics féminins chantiers", limit=3).hits]
    assert sheet.id in hits  # searchable at once, no rebuild
    assert [e["action"] for e in writable_kb.store.audit_entries()][:2] == ["publish", "submit"]
    contributions.unpublish(writable_kb, sheet.id, "alice")
    assert sheet.id not in [h.sheet.id for h in writable_kb.search("publics féminins chantiers", limit=20).hits]


def test_publish_updates_the_index_incrementally_and_other_processes_see_it(writable_kb: KnowledgeBase) -> None:
    sheet = draft("Une pratique pour tester l'index incrémental")
    sheet.id = "test-index-incremental"
    contributions.submit(writable_kb, sheet, "X", "x@example.org")
    before = len(writable_kb.current_index())
    contributions.publish(writable_kb, sheet.id, "alice")
    assert len(writable_kb.current_index()) == before + len(indexed_parts(sheet))
    other = KnowledgeBase(writable_kb.index_dir, encoder=writable_kb.encoder, readonly=True)
    assert "test-index-incremental" in [h.sheet.id for h in other.search("tester l'index incrémental", limit=3).hits]
    other.close()


def test_edit_reject_merge_and_audit(writable_kb: KnowledgeBase) -> None:
    first, second = draft("Première contribution"), draft("Seconde contribution")
    first.id, second.id = "premiere", "seconde"
    contributions.submit(writable_kb, first, "A", "a@example.org")
    contributions.submit(writable_kb, second, "B", "b@example.org")
    edited = writable_kb.store.get_sheet("premiere", status=None)
    assert edited is not None
    edited.sections["advice"] = "Un conseil ajouté par la modération."
    contributions.edit(writable_kb, edited, "alice")
    contributions.reject(writable_kb, "premiere", "alice", "Hors sujet")
    assert writable_kb.store.record("premiere").status == "rejected"  # type: ignore[union-attr]
    assert writable_kb.store.submission_for("premiere").reason == "Hors sujet"  # type: ignore[union-attr]
    merged = contributions.merge(writable_kb, "seconde", "anar-usine-de-tri-sieen", "alice")
    assert "Association Exemple" in merged.organisations
    assert merged.sections["context"].endswith("Peu de femmes bénéficient de la clause sociale.")
    assert writable_kb.store.record("seconde").status == "merged"  # type: ignore[union-attr]
    log = writable_kb.store.audit_entries()
    edit_entry = next(e for e in log if e["action"] == "edit")
    assert json.loads(edit_entry["before"])["sections"]["advice"] == ""
    assert json.loads(edit_entry["after"])["sections"]["advice"].startswith("Un conseil")
    with pytest.raises(KeyError):
        contributions.publish(writable_kb, "premiere", "alice")  # a rejected sheet is not published by mistake


def test_moderator_accounts(writable_kb: KnowledgeBase) -> None:
    store = writable_kb.store
    contributions.add_user(store, "alice", "un-mot-de-passe-long")
    assert contributions.check_user(store, "alice", "un-mot-de-passe-long")
    assert not contributions.check_user(store, "alice", "faux")
    assert not contributions.check_user(store, "bob", "un-mot-de-passe-long")
    stored = store.db.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith("scrypt:") and "un-mot-de-passe" not in stored
    with pytest.raises(contributions.UserError):
        contributions.add_user(store, "alice", "un-autre-mot-de-passe")
    with pytest.raises(contributions.UserError):
        contributions.add_user(store, "bob", "court")


def test_report_import_recovers_the_seven_workshop_sheets() -> None:
    result = read_report(REPORT)
    assert result.meeting is not None and result.meeting.id == "bourgogne-franche-comte-2022"
    assert len(result.sheets) == 7 and not result.errors
    by_workshop = {}
    for sheet in result.sheets:
        by_workshop.setdefault(sheet.workshop, []).append(sheet.organisations)
        assert all(sheet.sections[k] for k in SECTIONS), sheet.id
    assert by_workshop["atelier-a"] == [["Grand Besançon Métropole", "Rectorat de Besançon"], ["SDAT"]]
    assert by_workshop["atelier-d"][1] == ["TAPAJ", "C3B"]
    tapaj = next(s for s in result.sheets if "TAPAJ" in s.organisations)
    assert [(sp.name, sp.role) for sp in tapaj.speakers] == [
        ("Benjamin Joly", "Chargé de mission"),
        ("Cyrille Marais", "Chef de service travaux"),
    ]


CSV_HEADER = "Titre;Structures;Région;Thèmes;Publics;Contexte;Actions menées;Nom du contact;E-mail du contact\n"


def test_csv_import_good_and_bad_rows_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "enquete.csv"
    rows = [
        "Repérer les jeunes;Mission locale;Grand Est;Repérage et mobilisation des publics;jeunes;Un contexte;"
        "Des actions;Ana;ana@example.org",
        ";Sans titre;Grand Est;;;;;;",
        "Thème inconnu;X;Grand Est;Astrologie;;c;a;;",
        "Région inconnue;X;Atlantide;;;c;a;;",
        ";;;;;;;;",
        'Avec "guillemets" et ; point-virgule;"A; B";Île-de-France;aller-vers;femmes;c;a;;',
    ]
    path.write_bytes((CSV_HEADER + "\n".join(rows) + "\n").encode("cp1252"))
    report = read_csv(path)
    assert [r.line for r in report.rows] == [2]
    reasons = {e.path.rsplit(":", 1)[1]: e.reason for e in report.errors}
    assert "missing title" in reasons["3"]
    assert "unknown themes 'Astrologie'" in reasons["4"]
    assert "unknown region 'Atlantide'" in reasons["5"]
    assert "empty row" in reasons["6"]
    assert "7" in reasons  # the unbalanced quotes: reported, not dropped
    assert report.rows[0].contact_email == "ana@example.org"
    assert report.rows[0].sheet.themes == ["mobilisation-publics"]


def test_cli_import_is_idempotent_and_export_round_trips(built_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    index = ["--index-dir", str(built_dir)]
    out = tmp_path / "export.json"
    assert runner.invoke(main, ["export", str(out), "--format", "json", *index]).exit_code == 0
    csv_out = tmp_path / "export.csv"
    assert runner.invoke(main, ["export", str(csv_out), "--format", "csv", *index]).exit_code == 0
    md_out = tmp_path / "md"
    assert runner.invoke(main, ["export", str(md_out), "--format", "markdown", *index]).exit_code == 0
    originals = {s.id: s for s in export.from_json(out)[0]}
    assert len(originals) == 11
    for fmt, path in (("json", out), ("csv", csv_out), ("markdown", md_out)):
        empty = ["--index-dir", str(tmp_path / f"empty-{fmt}")]
        first = runner.invoke(main, ["import", str(path), "--publish", *empty])
        assert "11 added" in first.output, first.output
        second = runner.invoke(main, ["import", str(path), "--publish", *empty])
        assert "0 added" in second.output and "11 unchanged" in second.output
        shown = runner.invoke(main, ["export", "-", "--format", "json", *empty]).output
        restored = {s["id"]: s for s in json.loads(shown)}
        for sheet_id, original in originals.items():
            again = restored[sheet_id]
            if fmt == "csv":  # the survey's columns carry neither event nor workshop nor source
                for key in ("event", "workshop", "source"):
                    again[key] = original.to_dict()[key]
            assert again == original.to_dict(), (fmt, sheet_id)


def test_exports_never_contain_contacts(writable_kb: KnowledgeBase) -> None:
    sheet = draft()
    sheet.id = "avec-contact"
    contributions.submit(writable_kb, sheet, "Secret Person", "secret@example.org")
    contributions.publish(writable_kb, "avec-contact", "alice")
    sheets = writable_kb.store.sheets()
    for text in (export.to_json(sheets), export.to_csv(sheets), export.render_recueil(sheets)):
        assert "secret@example.org" not in text and "Secret Person" not in text


def test_compendium_groups_by_theme_with_a_table_of_contents(kb: KnowledgeBase) -> None:
    html = export.render_recueil(kb.store.sheets())
    assert html.count('<article class="fiche"') == 11
    assert '<nav class="toc"' in html and "Recueil de bonnes pratiques" in html
    assert html.count('class="theme"') == len(export.compendium(kb.store.sheets()))


def test_a_cached_filter_sees_a_sheet_published_after_it(writable_kb: KnowledgeBase) -> None:
    assert writable_kb.search("femmes", {"region": "Grand Est"}).total == 0  # the filter is now cached
    sheet = draft()
    sheet.id = "grand-est-nouvelle"
    contributions.submit(writable_kb, sheet, "A", "a@example.org")
    contributions.publish(writable_kb, sheet.id, "alice")
    assert [h.sheet.id for h in writable_kb.search("femmes", {"region": "Grand Est"}).hits] == ["grand-est-nouvelle"]
    contributions.unpublish(writable_kb, sheet.id, "alice")
    assert writable_kb.search("femmes", {"region": "Grand Est"}).total == 0


class CrowdedStore:
    """Every short id of ``fiche-`` is taken, as after 65,536 titles without Latin letters."""

    def __init__(self, full: bool = False) -> None:
        self.full = full
        self.asked = 0

    def record(self, sheet_id: str) -> object | None:
        self.asked += 1
        assert self.asked < 100, "new_sheet_id does not bound its tries"
        return object() if self.full or re.fullmatch(r"fiche-[0-9a-f]{4}", sheet_id) else None


def test_new_sheet_ids_are_bounded_when_the_short_ones_run_out() -> None:
    assert re.fullmatch(r"fiche-[0-9a-f]{8}", contributions.new_sheet_id(CrowdedStore(), "日本語の題名"))  # type: ignore[arg-type]
    with pytest.raises(contributions.IdSpaceExhausted):
        contributions.new_sheet_id(CrowdedStore(full=True), "عنوان")  # type: ignore[arg-type]
