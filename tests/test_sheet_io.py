"""Sheet files: the round trip loses nothing, and every malformed file is reported, not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.markdown_io import SheetError, dump_sheet, load_directory, parse_sheet, read_sheet, write_sheet
from kb.sheet import SECTIONS, Sheet, Speaker
from kb.text import words
from kb.vocabulary import DATA_DIR, meetings, vocabulary
from tests.helpers import PRACTICES

EXPECTED_ORGANISATIONS = {
    "Rectorat de Besançon",
    "SDAT",
    "Intermed",
    "VNF",
    "IDEIS",
    "TAPAJ",
    "C3B",
    "Habitat 25",
    "Grand Besançon Métropole",
    "Nièvre Habitat",
    "La Fabrique Emploi et Territoires",
    "AGIRE",
    "CREATIV'",
}


def test_corpus_has_the_eleven_practices_of_the_report() -> None:
    report = load_directory(PRACTICES)
    assert report.errors == []
    assert len(report.sheets) == 11
    organisations = {org for s in report.sheets for org in s.organisations}
    assert organisations | {o.split(" (")[0] for o in organisations} >= EXPECTED_ORGANISATIONS
    assert all(s.source == "004_bdbe0e25aa20be7f.txt" for s in report.sheets)


def test_every_sheet_links_to_a_session_of_its_meeting() -> None:
    for sheet in load_directory(PRACTICES).sheets:
        meeting = meetings()[sheet.event]
        assert meeting.session(sheet.workshop) is not None, sheet.id
        assert sheet.date == meeting.date


def test_workshop_sheets_are_where_the_report_puts_them() -> None:
    by_workshop: dict[str, set[str]] = {}
    for sheet in load_directory(PRACTICES).sheets:
        by_workshop.setdefault(sheet.workshop or "", set()).update(sheet.organisations)
    assert {"Rectorat de Besançon", "SDAT"} <= by_workshop["atelier-a"]
    assert "Intermed" in by_workshop["atelier-b"]
    assert "VNF" in by_workshop["atelier-c"]
    assert {"IDEIS", "TAPAJ"} <= by_workshop["atelier-d"]
    assert {"Habitat 25", "Nièvre Habitat"} <= by_workshop["table-ronde-anru"]


def test_meetings_data_matches_the_programmes() -> None:
    data = meetings()
    ge = data["grand-est-2022"]
    assert [s.label for s in ge.sessions if s.kind == "atelier"] == ["Atelier A", "Atelier B", "Atelier C"]
    assert ge.date == "2022-10-04"
    bfc = data["bourgogne-franche-comte-2022"]
    assert bfc.date == "2022-05-10" and "Dijon" in bfc.place
    assert [s.label for s in bfc.sessions if s.kind == "atelier"] == [
        "Atelier A",
        "Atelier B",
        "Atelier C",
        "Atelier D",
    ]
    hdf = data["hauts-de-france"]
    assert hdf.online and hdf.date is None  # the slides give no year: none is invented
    assert len([s for s in hdf.sessions if s.kind == "atelier"]) == 4


def test_meetings_data_has_every_session_the_programmes_print() -> None:
    """Not only the workshops: plenaries, round tables, signings, talks and closings, speakers as printed."""
    titles = {m: [s.title for s in meeting.sessions] for m, meeting in meetings().items()}
    ge = " | ".join(titles["grand-est-2022"])
    for printed in (
        "l'exemple du plan de relance immobilier",
        "Signature de la convention partenariale",
        "Les achats inclusifs",
        "le SPASER et l'achat durable en milieu rural",
    ):
        assert printed in ge
    bfc = meetings()["bourgogne-franche-comte-2022"]
    for printed in (
        "Présentation du Tour de France de la clause sociale",
        "Croisement de regards sur les ateliers de l'après-midi",
        "Clôture de la rencontre",
    ):
        assert printed in titles["bourgogne-franche-comte-2022"]
    atelier_d = bfc.session("atelier-d")
    assert atelier_d is not None and [s.name for s in atelier_d.speakers] == ["Catherine RUFFET", "Dominique BREHON"]
    hdf_speakers = {sp.name for s in meetings()["hauts-de-france"].sessions for sp in s.speakers}
    assert {"Laurent BUCHAILLAT", "Jérôme DORMOY", "Marianne CUOQ", "Sylvain DURSENT"} <= hdf_speakers


def test_every_source_document_has_a_name_and_its_meeting() -> None:
    names = yaml.safe_load((DATA_DIR / "sources.yaml").read_text(encoding="utf-8"))
    cited = {s.source for s in load_directory(PRACTICES).sheets}
    for meeting in meetings().values():
        cited |= set(meeting.sources)
        for source in meeting.sources:
            assert names[source]["meeting"] == meeting.id, source
    assert cited <= set(names)
    kinds = {entry["kind"] for entry in names.values()}
    assert kinds <= {"programme", "compte rendu", "diaporama"} and all(e["name"] for e in names.values())


def test_each_rewrite_keeps_its_sheet_facts_in_fewer_other_words() -> None:
    """tests/data/rewrites: one per seed sheet, same front matter but the title, 40-70 % of its length."""
    rewrites = load_directory(Path(__file__).parent / "data" / "rewrites")
    originals = {s.id: s for s in load_directory(PRACTICES).sheets}
    assert rewrites.errors == []
    assert sorted(s.id for s in rewrites.sheets) == [f"{i}-rewrite" for i in sorted(originals)]
    for rewrite in rewrites.sheets:
        original = originals[rewrite.id.removesuffix("-rewrite")]
        kept = {k: v for k, v in original.to_dict().items() if k not in ("id", "title", "sections")}
        assert {k: v for k, v in rewrite.to_dict().items() if k in kept} == kept, rewrite.id
        assert rewrite.title != original.title
        length = len(words(" ".join(rewrite.sections.values()))) / len(words(" ".join(original.sections.values())))
        assert 0.4 <= length <= 0.7, (rewrite.id, length)


def test_no_part_of_a_sheet_is_invented_beyond_the_source() -> None:
    """Every sentence's words of every part occur in the report (transcription, not writing)."""
    source = PRACTICES.parent / "tests" / "data" / "report-bourgogne-franche-comte-2022.txt"
    from kb.text import fold

    seed_words = {fold(w) for w in words(source.read_text(encoding="utf-8"))}
    for sheet in load_directory(PRACTICES).sheets:
        for key, text in sheet.sections.items():
            unknown = {fold(w) for w in words(text)} - seed_words
            assert len(unknown) <= 3, (sheet.id, key, unknown)


@pytest.mark.parametrize("path", sorted(PRACTICES.glob("*.md")), ids=lambda p: p.stem)
def test_practice_files_round_trip_byte_for_byte(path: Path) -> None:
    sheet = read_sheet(path)
    assert dump_sheet(sheet) == path.read_text(encoding="utf-8")
    assert parse_sheet(dump_sheet(sheet), sheet.id) == sheet


def test_write_then_read_gives_the_same_sheet(tmp_path: Path) -> None:
    sheet = Sheet(
        id="exemple",
        title="Exemple : « guillemets », 25 % & <b>",
        organisations=["A", "B: c"],
        speakers=[Speaker("Jeanne DUPONT", "Directrice", None)],
        region="Grand Est",
        territory="Nancy",
        event="grand-est-2022",
        workshop="atelier-b",
        date="2022-10-04",
        themes=["economie-circulaire"],
        publics=["jeunes"],
        market_types=["services"],
        actor_types=["siae"],
        source=None,
        sections={**dict.fromkeys(SECTIONS, ""), "context": "Ligne 1\n\n- point\n- point 2", "advice": "**gras**"},
    )
    path = write_sheet(sheet, tmp_path)
    assert read_sheet(path) == sheet


section_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300).filter(
    lambda t: not any(line.startswith("## ") for line in t.splitlines())
)


@settings(max_examples=150, deadline=None)
@given(title=st.text(min_size=1, max_size=80).filter(lambda t: t.split() and "\x00" not in t), body=section_text)
def test_round_trip_is_lossless_for_any_text(title: str, body: str) -> None:
    sheet = Sheet(
        id="x", title=" ".join(title.split()), sections={**dict.fromkeys(SECTIONS, ""), "actions": body.strip()}
    )
    try:
        again = parse_sheet(dump_sheet(sheet), "x")
    except SheetError as exc:  # only validation may refuse (e.g. an over-long title), never the format
        assert "longer than" in exc.reason
        return
    assert again == sheet


GOOD = (PRACTICES / "intermed-groupement-associations-intermediaires.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (GOOD.replace("title: Un", "title: [Un", 1), "invalid YAML front matter"),
        (GOOD.replace("## Conseils", "## Résultats"), "unknown section '## Résultats'"),
        (GOOD.replace("## Conseils", "## Objectifs"), "appears twice"),
        (GOOD.replace("title: Un groupement", "titre: Un groupement"), "unknown front matter key(s): titre"),
        (GOOD.replace("- groupement-structures", "- inventé"), "unknown themes: inventé"),
        (GOOD.replace("region: Bourgogne-Franche-Comté", "region: Atlantide"), "unknown region"),
        (GOOD.replace("workshop: atelier-b", "workshop: atelier-z"), "unknown workshop"),
        (GOOD.replace("date: '2022-05-10'", "date: '10/05/2022'"), "invalid date"),
        (GOOD.split("---\n", 2)[2], "missing YAML front matter"),
        (GOOD.replace("\n## Contexte", "Préambule\n## Contexte"), "text before the first"),
        ("---\n- a\n- b\n---\n## Contexte\n", "must be a mapping"),
        ("---\n!!python/object:os.system {}\n---\n", "invalid YAML"),
        ("---\ntitle: x\n## Contexte\n", "not closed"),
    ],
)
def test_malformed_text_is_reported_with_a_reason(content: str, reason: str) -> None:
    with pytest.raises(SheetError) as info:
        parse_sheet(content, "fiche", "practices/fiche.md")
    assert reason in str(info.value)
    assert str(info.value).startswith("practices/fiche.md: ")


def test_missing_title_is_reported() -> None:
    with pytest.raises(SheetError, match="missing title"):
        parse_sheet(GOOD.replace("title: Un groupement", "title: ''\n# Un groupement"), "fiche")


def test_broken_files_are_reported_and_the_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes(GOOD.encode("latin-1", errors="replace"))
    (tmp_path / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "big.md").write_bytes(b"---\ntitle: x\n---\n" + b"a" * 1_100_000)
    (tmp_path / "Bad Id.md").write_text(GOOD, encoding="utf-8")
    report = load_directory(tmp_path)
    assert [s.id for s in report.sheets] == ["ok"]
    reasons = {Path(e.path).name: e.reason for e in report.errors}
    assert "not valid UTF-8" in reasons["latin1.md"]
    assert "binary" in reasons["binary.md"]
    assert "too large" in reasons["big.md"]
    assert "invalid sheet id" in reasons["Bad Id.md"]


def test_vocabulary_has_labels_for_every_key_used() -> None:
    vocab = vocabulary()
    for sheet in load_directory(PRACTICES).sheets:
        for key in sheet.themes:
            assert vocab.label("themes", key) != key
