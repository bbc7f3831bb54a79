"""The SQLite store: schema and migrations, transactions, French keyword search, filters."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from kb.markdown_io import load_directory
from kb.sheet import SECTIONS, Sheet
from kb.store import SCHEMA_VERSION, Store, StoreError
from kb.text import terms
from tests.helpers import PRACTICES


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "kb.sqlite")
    for sheet in load_directory(PRACTICES).sheets:
        s.save_sheet(sheet)
    return s


def matching_sheets(store: Store, query: str) -> set[str]:
    owner = {p.id: p.sheet_id for p in store.parts()}
    return {owner[pid] for pid, _ in store.keyword_search(terms(query))}


def test_keyword_search_keeps_fts5s_rank_order_and_cuts_ties_by_rowid(store: Store) -> None:
    """The statement orders by bm25() then rowid; FTS5's own ``ORDER BY rank`` gives the same rows
    in the same order, ties and a LIMIT falling among them included (these queries tie)."""
    by_rank = "SELECT rowid, -bm25(parts_fts) FROM parts_fts WHERE parts_fts MATCH ? ORDER BY rank LIMIT ?"
    tied = 0
    for query in ("licence passport cycling tour france besançon", "the way a facilitator of the clause"):
        query_terms = terms(query)
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(query_terms))
        found = store.keyword_search(query_terms)
        scores = [score for _, score in found]
        tied += len(scores) - len(set(scores))
        for limit in range(1, len(found) + 1):
            assert store.keyword_search(query_terms, limit) == store.db.execute(by_rank, [match, limit]).fetchall()
        assert found == sorted(found, key=lambda row: (-row[1], row[0]))
    assert tied  # else the test would not see the order of ties


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    s = Store(tmp_path / "kb.sqlite")
    assert s.schema_version == SCHEMA_VERSION
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"sheets", "parts", "vectors", "sheet_tags", "parts_fts"} <= set(s.table_names())
    s.close()
    again = Store(tmp_path / "kb.sqlite")  # reopening runs no migration twice
    assert again.schema_version == SCHEMA_VERSION


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable Recueil database"):
        Store(path)


def test_save_and_read_back(store: Store) -> None:
    assert store.count() == 11
    sheet = store.get_sheet("tapaj-c3b-nettoyage-chantiers-jeunes")
    assert sheet is not None and sheet.speakers[0].name == "Benjamin Joly"


def test_part_ids_survive_an_edit_and_only_changed_parts_lose_their_vector(store: Store) -> None:
    sheet = store.get_sheet("intermed-groupement-associations-intermediaires")
    assert sheet is not None
    before = {p.section: p.id for p in store.parts([sheet.id])}
    store.save_vectors("m", [(pid, h, [0.0]) for pid, _, _, h in store.parts_missing_vectors("m")])
    sheet.sections["advice"] += " Une phrase ajoutée."
    store.save_sheet(sheet)
    after = {p.section: p.id for p in store.parts([sheet.id])}
    assert {key: after[key] for key in before} == before  # the longer section gained sentence windows
    missing = [section for _, _, section, _ in store.parts_missing_vectors("m")]
    assert missing[0] == "advice" and all(key.startswith("advice~") for key in missing[1:])


def test_failed_write_leaves_nothing_behind(store: Store) -> None:
    version = store.vectors_version
    with pytest.raises(RuntimeError), store.transaction():
        store.delete_sheet("sdat-economie-circulaire-rives-de-saone")
        raise RuntimeError("crash in the middle")
    assert store.get_sheet("sdat-economie-circulaire-rives-de-saone") is not None
    assert store.vectors_version == version


def test_delete_removes_parts_and_keyword_rows(store: Store) -> None:
    assert store.delete_sheet("anar-usine-de-tri-sieen")
    assert store.parts(["anar-usine-de-tri-sieen"]) == []
    assert "anar-usine-de-tri-sieen" not in matching_sheets(store, "ANAR recyclage papier")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mobilisation", "ideis-recrut-cafe-kiosque-a-cvs"),  # stem: "mobiliser" in the sheet
        ("economie circulaire", "sdat-economie-circulaire-rives-de-saone"),  # accents folded
        ("ÉCONOMIE CIRCULAIRE", "sdat-economie-circulaire-rives-de-saone"),
        ("facilitatrices", "agire-reseau-regional-facilitateurs"),  # inclusive writing, plural
        ("recrutés", "creativ21-vnf-prestations-intellectuelles"),
    ],
)
def test_french_keyword_index_is_stemmed_and_accent_insensitive(store: Store, query: str, expected: str) -> None:
    assert expected in matching_sheets(store, query)


def test_filters_and_facet_counts(store: Store) -> None:
    ids = store.filter_ids({"themes": ["economie-circulaire"]})
    assert set(ids) == {
        "rectorat-besancon-economie-circulaire",
        "sdat-economie-circulaire-rives-de-saone",
        "anar-usine-de-tri-sieen",
    }
    assert store.filter_ids({"themes": ["economie-circulaire"], "market_types": ["travaux"]}) == [
        "rectorat-besancon-economie-circulaire"
    ]
    assert store.filter_ids({"region": ["Grand Est"]}) == []
    assert len(store.filter_ids({"year": ["2022"]})) == 11
    # not a year: no match, and no integer SQLite cannot hold (schemathesis sent such a one)
    assert store.filter_ids({"year": ["-1976", "694953202298826858050879488", "deux-mille"]}) == []
    assert len(store.filter_ids({"year": ["2022", "694953202298826858050879488"]})) == 11
    counts = store.facet_counts(ids)
    assert counts["themes"]["economie-circulaire"] == 3
    assert counts["region"] == {"Bourgogne-Franche-Comté": 3}


def test_pending_sheets_are_not_published(store: Store) -> None:
    pending = Sheet(
        id="en-attente",
        title="Une fiche en attente",
        sections={**dict.fromkeys(SECTIONS, ""), "context": "mobilisation"},
    )
    store.save_sheet(pending, status="pending", origin="web")
    assert store.get_sheet("en-attente") is None
    assert "en-attente" not in store.sheet_ids()
    assert "en-attente" not in {p.sheet_id for p in store.parts(status="published")}


def test_an_edit_of_tags_or_organisations_alone_changes_the_corpus_version(store: Store) -> None:
    sheet = store.get_sheet("intermed-groupement-associations-intermediaires")
    assert sheet is not None
    version = store.vectors_version
    store.save_sheet(sheet)  # the same sheet again: searches keep what they hold
    assert store.vectors_version == version
    store.save_sheet(replace(sheet, organisations=[*sheet.organisations, "Zorglub"]))
    assert store.vectors_version > version


def test_organisation_names_whatever_the_status(store: Store) -> None:
    draft = Sheet(id="brouillon", title="Brouillon", sections=dict.fromkeys(SECTIONS, ""), organisations=["Autre"])
    store.save_sheet(draft, status="pending", origin="web")
    names = store.organisation_names()
    assert {"AGIRE", "Grand Besançon Métropole", "Autre"} <= set(names) and len(names) == len(set(names))
    assert store.filter_ids({"organisations": ["Grand Besançon Métropole"]}) == [
        "habitat25-grand-besancon-cooperation",
        "rectorat-besancon-economie-circulaire",
    ]
    assert store.filter_ids({"organisations": ["Autre"]}) == []  # pending: not published


def test_an_old_schema_is_migrated_by_a_writer_and_refused_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)  # back to schema 1, as a database made by the first release
    for table in ("parts_vocab", "submissions", "users", "audit_log", "index_log", "topic_names"):
        conn.execute(f"DROP TABLE {table}")
    for table in ("topic_map", "topic_labels"):  # schema 11
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP INDEX sheets_status_title")  # schema 12
    conn.execute("ALTER TABLE sheets DROP COLUMN title_key")
    for index in ("sheets_status_region_id", "sheets_status_event_id", "sheets_status_year_id", "sheet_tags_value"):
        conn.execute(f"DROP INDEX {index}")
    conn.execute("DROP INDEX sheets_id_status")
    conn.execute("DROP TABLE contact_requests")
    for column in ("presented_on", "published_at", "summary", "summary_edited"):
        conn.execute(f"ALTER TABLE sheets DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with pytest.raises(StoreError, match="run 'kb build' to migrate it"):
        Store(path, readonly=True)
    writer = Store(path)
    assert writer.schema_version == SCHEMA_VERSION and "parts_vocab" in writer.table_names()


def test_a_bulk_import_leaves_the_keyword_index_in_one_segment_with_the_same_answers(tmp_path: Path) -> None:
    """Each sheet saved is one FTS5 segment, which every query term is looked up in; an import
    merges them, and BM25 answers the same."""
    from kb.importer import apply_import

    loaded = load_directory(PRACTICES).sheets
    one_by_one = Store(tmp_path / "one.sqlite")
    for sheet in loaded:
        one_by_one.save_sheet(sheet)
    imported = Store(tmp_path / "imported.sqlite")
    apply_import(imported, loaded, origin="practices", new_status="published")

    def segments(store: Store) -> int:
        return int(store.db.execute("SELECT count(DISTINCT segid) FROM parts_fts_idx").fetchone()[0])

    assert segments(one_by_one) == len(loaded) > 1
    assert segments(imported) == 1
    query = terms("insertion des jeunes dans les quartiers")
    assert imported.keyword_search(query) == one_by_one.keyword_search(query) != []
