"""The schema, as the ordered list of migrations applied when a store opens (``PRAGMA user_version``).

Append a migration at the end of ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import numpy as np

from kb.sheet import Sheet
from kb.summary import extract_summary
from kb.text import fold


def _migrate_1(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE sheets (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            data TEXT NOT NULL,
            region TEXT,
            event TEXT,
            year INTEGER,
            status TEXT NOT NULL DEFAULT 'published',
            origin TEXT NOT NULL DEFAULT 'practices',
            imported_hash TEXT,
            edited_after_import INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE sheet_tags (
            sheet_id TEXT NOT NULL REFERENCES sheets(id) ON DELETE CASCADE,
            facet TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (sheet_id, facet, value)
        )"""
    )
    db.execute("CREATE INDEX sheet_tags_facet ON sheet_tags(facet, value)")
    db.execute(
        """CREATE TABLE parts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sheet_id TEXT NOT NULL REFERENCES sheets(id) ON DELETE CASCADE,
            section TEXT NOT NULL,
            text TEXT NOT NULL,
            passage_hash TEXT NOT NULL,
            UNIQUE (sheet_id, section)
        )"""
    )
    db.execute(
        """CREATE TABLE vectors (
            part_id INTEGER PRIMARY KEY REFERENCES parts(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            passage_hash TEXT NOT NULL,
            vector BLOB NOT NULL
        )"""
    )
    db.execute("CREATE VIRTUAL TABLE parts_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('vectors_version', '0')")


def _migrate_2(db: sqlite3.Connection) -> None:
    """Per-term document counts of the keyword index, to leave out terms too common to rank."""
    db.execute("CREATE VIRTUAL TABLE parts_vocab USING fts5vocab(parts_fts, 'row')")


def _migrate_3(db: sqlite3.Connection) -> None:
    """Contributions: who submitted (kept private), moderators, and the audit log."""
    db.execute(
        """CREATE TABLE submissions (
            token TEXT PRIMARY KEY,
            sheet_id TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            contact_email TEXT NOT NULL,
            consent_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            similar TEXT NOT NULL DEFAULT '[]',
            reason TEXT
        )"""
    )
    db.execute("CREATE INDEX submissions_sheet ON submissions(sheet_id)")
    db.execute(
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            action TEXT NOT NULL,
            sheet_id TEXT,
            before TEXT,
            after TEXT,
            note TEXT
        )"""
    )


def _migrate_4(db: sqlite3.Connection) -> None:
    """A log of per-sheet index changes, so every process patches its FAISS index in place."""
    db.execute(
        """CREATE TABLE index_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            version_before INTEGER NOT NULL,
            version_after INTEGER NOT NULL,
            sheet_id TEXT NOT NULL,
            removed TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX index_log_after ON index_log(version_after)")


def _migrate_5(db: sqlite3.Connection) -> None:
    """Names moderators give to topics, with the members the topic had when named."""
    db.execute(
        """CREATE TABLE topic_names (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            members TEXT NOT NULL,
            named_by TEXT NOT NULL,
            named_at TEXT NOT NULL
        )"""
    )


def _migrate_6(db: sqlite3.Connection) -> None:
    """Vectors stored as float16: half the size, and the ranking does not move (unit vectors)."""
    rows = db.execute("SELECT part_id, vector FROM vectors").fetchall()
    db.executemany(
        "UPDATE vectors SET vector = ? WHERE part_id = ?",
        [(np.frombuffer(blob, dtype=np.float32).astype(np.float16).tobytes(), pid) for pid, blob in rows],
    )


def _migrate_7(db: sqlite3.Connection) -> None:
    """Indexes for the filters: without them every filtered search scans the sheets."""
    for column in ("region", "event", "year"):
        db.execute(f"CREATE INDEX sheets_status_{column} ON sheets(status, {column})")
    db.execute("CREATE INDEX sheet_tags_value ON sheet_tags(facet, value, sheet_id)")


def _migrate_8(db: sqlite3.Connection) -> None:
    """Covering indexes for the filters: the matching sheets' ids come from index pages alone.

    Reading ``id`` from the table instead cost one page per sheet (rows hold the whole sheet): a
    filter's first use at 100,000 sheets took 0.7 s for a region and 2.4 s for a theme, cold."""
    for column in ("region", "event", "year"):
        db.execute(f"DROP INDEX sheets_status_{column}")
        db.execute(f"CREATE INDEX sheets_status_{column}_id ON sheets(status, {column}, id)")
    db.execute("CREATE INDEX sheets_id_status ON sheets(id, status)")


def _migrate_9(db: sqlite3.Connection) -> None:
    """Dates and « En bref » of a sheet, and the requests to be put in touch with its authors.

    ``presented_on``: the day the practice was presented (the meeting's date for the seed
    sheets); ``published_at``: first publication in Recueil (``updated_at`` is the last change);
    ``summary``: the extract shown as « En bref », re-extracted on each save unless a moderator
    wrote it (``summary_edited``). Contact requests stay private: only moderators list them."""
    columns = ("presented_on TEXT", "published_at TEXT", "summary TEXT", "summary_edited INTEGER NOT NULL DEFAULT 0")
    for column in columns:
        db.execute(f"ALTER TABLE sheets ADD COLUMN {column}")
    db.execute(
        """UPDATE sheets SET presented_on = json_extract(data, '$.date'),
             published_at = CASE WHEN status = 'published' THEN updated_at END"""
    )
    for sheet_id, data in db.execute("SELECT id, data FROM sheets").fetchall():
        summary = extract_summary(Sheet.from_dict(json.loads(data)))
        db.execute("UPDATE sheets SET summary = ? WHERE id = ?", [summary, sheet_id])
    db.execute(
        """CREATE TABLE contact_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sheet_id TEXT NOT NULL,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at TEXT NOT NULL,
            handled_at TEXT,
            handled_by TEXT
        )"""
    )
    db.execute("CREATE INDEX contact_requests_open ON contact_requests(handled_at, id)")


def _migrate_10(db: sqlite3.Connection) -> None:
    """A submission may propose an update to a published sheet (its id here), reviewed like any."""
    db.execute("ALTER TABLE submissions ADD COLUMN target_id TEXT")


def _migrate_11(db: sqlite3.Connection) -> None:
    """The topic map, kept between changes: each published sheet's topic, and each topic's label."""
    db.execute("CREATE TABLE topic_map (sheet_id TEXT PRIMARY KEY, topic TEXT NOT NULL)")
    db.execute("CREATE TABLE topic_labels (topic TEXT PRIMARY KEY, label TEXT NOT NULL)")


def _migrate_12(db: sqlite3.Connection) -> None:
    """/fiches sorts and pages in SQL: the title's sort key (accents and case folded), indexed."""
    db.execute("ALTER TABLE sheets ADD COLUMN title_key TEXT NOT NULL DEFAULT ''")
    rows = db.execute("SELECT id, title FROM sheets").fetchall()
    db.executemany("UPDATE sheets SET title_key = ? WHERE id = ?", [(fold(title), i) for i, title in rows])
    db.execute("CREATE INDEX sheets_status_title ON sheets(status, title_key, id)")


def _migrate_13(db: sqlite3.Connection) -> None:
    """Sentence windows of the longer sections as passages of their own, for the dense side
    (see ``kb.passages``); ``kb build`` encodes them."""
    from kb.passages import indexed_parts, is_window, passage_text
    from kb.store.parts import passage_hash

    for sheet_id, data in db.execute("SELECT id, data FROM sheets").fetchall():
        sheet = Sheet.from_dict(json.loads(data))
        for key, text in indexed_parts(sheet).items():
            if is_window(key):
                db.execute(
                    "INSERT OR IGNORE INTO parts (sheet_id, section, text, passage_hash) VALUES (?, ?, ?, ?)",
                    [sheet_id, key, text, passage_hash(passage_text(sheet, key))],
                )
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'vectors_version'")


def _migrate_14(db: sqlite3.Connection) -> None:
    """A moderator's session version, part of every session's user id: signing out or changing
    the password bumps it, so copies of older session cookies stop working (server-side logout)."""
    db.execute("ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_1,
    _migrate_2,
    _migrate_3,
    _migrate_4,
    _migrate_5,
    _migrate_6,
    _migrate_7,
    _migrate_8,
    _migrate_9,
    _migrate_10,
    _migrate_11,
    _migrate_12,
    _migrate_13,
    _migrate_14,
]
SCHEMA_VERSION = len(MIGRATIONS)
