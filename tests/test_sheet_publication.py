"""Dates, « En bref » and contact requests of a sheet (schema 9): stored, kept, audited."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kb import contact, contributions
from kb.knowledge_base import KnowledgeBase
from kb.markdown_io import read_sheet
from kb.store import Store
from kb.store.schema import _migrate_9
from kb.summary import extract_summary, is_extract_of, plain_text, sentences

DIJON = "creativ-dijon-demarche-territoriale"


def test_summary_is_two_or_three_sentences_of_the_sheet(practices_copy: Path) -> None:
    for path in sorted(practices_copy.glob("*.md")):
        sheet = read_sheet(path)
        summary = extract_summary(sheet)
        assert 80 <= len(summary) <= 480, (sheet.id, summary)
        assert is_extract_of(summary, sheet)
        assert 2 <= len(sentences(summary)) <= 3, summary
    sheet = read_sheet(practices_copy / f"{DIJON}.md")
    assert extract_summary(sheet).startswith("Le territoire de Dijon est particulièrement investi")
    assert not is_extract_of("Dijon a inventé la clause sociale en 1850.", sheet)
    assert "**" not in plain_text(sheet)


def test_dates_summary_and_publication_kept_across_saves(counting_kb: KnowledgeBase, practices_copy: Path) -> None:
    counting_kb.import_practices(practices_copy)
    store = counting_kb.store
    first = store.publication(DIJON)
    assert first is not None
    assert first.presented_on == "2022-05-10"  # the meeting's date
    assert first.published_at and first.published_at == first.updated_at
    assert first.summary == extract_summary(store.get_sheet(DIJON))  # type: ignore[arg-type]

    chosen = "Le territoire de Dijon est particulièrement investi sur la mise en œuvre de la clause sociale, en 2021 plus de 400.000 heures d'insertion ont été réalisées."  # noqa: E501
    contributions.edit_summary(store, DIJON, chosen, "alice")
    with pytest.raises(ValueError):
        contributions.edit_summary(store, DIJON, "Une phrase inventée.", "alice")
    sheet = store.get_sheet(DIJON)
    assert sheet is not None
    sheet.sections["advice"] += "\n\nUn conseil ajouté."
    store.save_sheet(sheet, edited=True)
    after = store.publication(DIJON)
    assert after is not None
    assert after.summary == chosen and after.summary_edited  # a moderator's text survives an edit
    assert after.published_at == first.published_at  # first publication is kept
    assert after.updated_at >= first.updated_at
    log = store.audit_entries()
    assert log[0]["action"] == "summary" and chosen[:30] in log[0]["note"]
    contributions.edit_summary(store, DIJON, "", "alice")  # blank: back to the automatic extract
    assert store.publication(DIJON).summary == extract_summary(sheet)  # type: ignore[union-attr]
    assert [s.id for s, _ in store.latest_published(3)] and len(store.latest_published(3)) == 3


def test_contact_requests_are_stored_listed_and_closed_with_audit(
    counting_kb: KnowledgeBase, practices_copy: Path
) -> None:
    counting_kb.import_practices(practices_copy)
    store = counting_kb.store
    with pytest.raises(KeyError):
        contact.request_contact(store, "no-such-sheet", "A", "a@example.org", "Bonjour")
    first = contact.request_contact(
        store, DIJON, " Camille ", "camille@example.org", "Pouvez-vous me mettre en relation ?"
    )
    second = contact.request_contact(store, DIJON, "Dominique", "d@example.org", "Bonjour, je voudrais échanger.")
    assert [r.id for r in store.contact_requests(handled=False)] == [first, second]
    assert store.contact_request(first).name == "Camille"  # type: ignore[union-attr]
    closed = contact.mark_handled(store, first, "alice")
    assert closed is not None and closed.handled_by == "alice" and closed.handled_at
    assert contact.mark_handled(store, first, "alice") is None  # already closed
    assert [r.id for r in store.contact_requests(handled=False)] == [second]
    assert [r.id for r in store.contact_requests(handled=True)] == [first]
    entry = store.audit_entries()[0]
    assert entry["action"] == "contact-handled" and entry["sheet_id"] == DIJON and entry["user"] == "alice"


def test_migration_9_fills_dates_and_summaries(counting_kb: KnowledgeBase, practices_copy: Path) -> None:
    counting_kb.import_practices(practices_copy)
    path = counting_kb.store.path
    counting_kb.close()
    conn = sqlite3.connect(path)  # the sheets as schema 8 left them, then migration 9 alone
    for column in ("presented_on", "published_at", "summary", "summary_edited"):
        conn.execute(f"ALTER TABLE sheets DROP COLUMN {column}")
    conn.execute("DROP TABLE contact_requests")
    _migrate_9(conn)
    conn.commit()
    conn.close()
    store = Store(path)
    publication = store.publication(DIJON)
    assert publication is not None and publication.presented_on == "2022-05-10"
    assert publication.published_at == publication.updated_at
    assert publication.summary.startswith("Le territoire de Dijon")
    assert store.contact_requests() == []
    store.close()
