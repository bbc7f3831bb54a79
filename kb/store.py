"""The SQLite store: sheets, their searchable parts, the French keyword index and the vectors.

The database is the source of truth; everything else (the FAISS index) is rebuilt from it.
Every write happens in one transaction. The schema carries a version (``PRAGMA user_version``)
and is brought up to date by the migrations below when the store opens.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from kb.sheet import SECTIONS, Sheet
from kb.summary import extract_summary
from kb.text import terms
from kb.vocabulary import FACETS, meetings

PUBLISHED = "published"


def _migrate_1(db: sqlite_utils.Database) -> None:
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


def _migrate_2(db: sqlite_utils.Database) -> None:
    """Per-term document counts of the keyword index, to leave out terms too common to rank."""
    db.execute("CREATE VIRTUAL TABLE parts_vocab USING fts5vocab(parts_fts, 'row')")


def _migrate_3(db: sqlite_utils.Database) -> None:
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


def _migrate_4(db: sqlite_utils.Database) -> None:
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


def _migrate_5(db: sqlite_utils.Database) -> None:
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


def _migrate_6(db: sqlite_utils.Database) -> None:
    """Vectors stored as float16: half the size, and the ranking does not move (unit vectors)."""
    rows = db.execute("SELECT part_id, vector FROM vectors").fetchall()
    db.conn.executemany(
        "UPDATE vectors SET vector = ? WHERE part_id = ?",
        [(np.frombuffer(blob, dtype=np.float32).astype(np.float16).tobytes(), pid) for pid, blob in rows],
    )


def _migrate_7(db: sqlite_utils.Database) -> None:
    """Indexes for the filters: without them every filtered search scans the sheets."""
    for column in ("region", "event", "year"):
        db.execute(f"CREATE INDEX sheets_status_{column} ON sheets(status, {column})")
    db.execute("CREATE INDEX sheet_tags_value ON sheet_tags(facet, value, sheet_id)")


def _migrate_8(db: sqlite_utils.Database) -> None:
    """Covering indexes for the filters: the matching sheets' ids come from index pages alone.

    Reading ``id`` from the table instead cost one page per sheet (rows hold the whole sheet): a
    filter's first use at 100,000 sheets took 0.7 s for a region and 2.4 s for a theme, cold."""
    for column in ("region", "event", "year"):
        db.execute(f"DROP INDEX sheets_status_{column}")
        db.execute(f"CREATE INDEX sheets_status_{column}_id ON sheets(status, {column}, id)")
    db.execute("CREATE INDEX sheets_id_status ON sheets(id, status)")


def _migrate_9(db: sqlite_utils.Database) -> None:
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


def _migrate_10(db: sqlite_utils.Database) -> None:
    """A submission may propose an update to a published sheet (its id here), reviewed like any."""
    db.execute("ALTER TABLE submissions ADD COLUMN target_id TEXT")


def _migrate_11(db: sqlite_utils.Database) -> None:
    """The topic map, kept between changes: each published sheet's topic, and each topic's label."""
    db.execute("CREATE TABLE topic_map (sheet_id TEXT PRIMARY KEY, topic TEXT NOT NULL)")
    db.execute("CREATE TABLE topic_labels (topic TEXT PRIMARY KEY, label TEXT NOT NULL)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
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
]
VECTOR_DTYPE = np.float16
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The database cannot be used (newer schema, corrupt file)."""


def passage_text(sheet: Sheet, section: str) -> str:
    """What the encoder reads for one part: the part, prefixed by the title for context."""
    if section == "title":
        return sheet.title
    return f"{sheet.title}. {SECTIONS[section]} : {sheet.sections[section]}"


# Id lists travel as one JSON parameter: no limit on their length (SQLite caps '?' parameters).
# Queries given such a list write "+status" so the planner looks the ids up by key instead of
# scanning the (status, …) indexes, which the filters need.
IN_JSON = "(SELECT value FROM json_each(?))"


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))


def passage_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def presented_on(sheet: Sheet) -> str | None:
    """The day the practice was presented: the sheet's date, else its meeting's."""
    meeting = meetings().get(sheet.event or "")
    return sheet.date or (str(meeting.date) if meeting and meeting.date else None)


@dataclass(frozen=True)
class Part:
    id: int
    sheet_id: str
    section: str
    text: str


@dataclass(frozen=True)
class Publication:
    """When a sheet was presented, published and last updated, and its « En bref »."""

    presented_on: str | None
    published_at: str | None
    updated_at: str
    summary: str
    summary_edited: bool


@dataclass(frozen=True)
class ContactRequest:
    """Someone asks to be put in touch with the people behind a sheet (seen by moderators only)."""

    id: int
    sheet_id: str
    name: str
    email: str
    message: str
    created_at: str
    handled_at: str | None
    handled_by: str | None


@dataclass(frozen=True)
class SheetRecord:
    sheet: Sheet
    status: str
    origin: str
    imported_hash: str | None
    edited_after_import: bool
    updated_at: str


class Store:
    """Typed access to ``kb.sqlite``; opened once per process or request, closed with ``close``."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if readonly:
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            else:
                conn = sqlite3.connect(self.path, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA foreign_keys = ON")
            self.db = sqlite_utils.Database(conn)
            if not readonly:
                self.db.enable_wal()
                self.migrate()
            elif self.schema_version != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {self.schema_version}, this program needs {SCHEMA_VERSION}: "
                    "run 'kb build' to migrate it"
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable Recueil database ({exc})") from None

    def close(self) -> None:
        self.db.conn.close()

    def backup(self, destination: str | Path) -> None:
        """A consistent copy through SQLite's online backup: safe while others read and write."""
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        target = sqlite3.connect(partial)
        try:
            self.db.conn.backup(target)
        finally:
            target.close()
        os.replace(partial, destination)

    # -- schema -------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version} is newer than this program ({SCHEMA_VERSION})")
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write: everything inside commits together or not at all."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- sheets -------------------------------------------------------------------------------
    def save_sheet(
        self,
        sheet: Sheet,
        *,
        status: str = PUBLISHED,
        origin: str = "practices",
        imported_hash: str | None = None,
        edited: bool = False,
    ) -> None:
        """Insert or replace a sheet with its tags, parts and keyword rows (one transaction).

        Parts keep their ids when their section survives, so vector ids stay stable; a part whose
        passage text changed loses its vector and is re-encoded by the next index update.
        """
        with self.transaction():
            previous = self.db.execute(
                "SELECT imported_hash, edited_after_import FROM sheets WHERE id = ?", [sheet.id]
            ).fetchone()
            # An import records the file's hash and clears the edit mark; an edit sets the mark.
            edited_flag = int(edited or (imported_hash is None and bool(previous and previous[1])))
            if imported_hash is None and previous is not None:
                imported_hash = previous[0]
            now = _now()
            self.db.execute(
                """INSERT INTO sheets (id, title, data, region, event, year, status, origin, imported_hash,
                                       edited_after_import, updated_at, presented_on, published_at, summary)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET title = excluded.title, data = excluded.data,
                     region = excluded.region, event = excluded.event, year = excluded.year,
                     status = excluded.status, origin = excluded.origin,
                     imported_hash = excluded.imported_hash,
                     edited_after_import = excluded.edited_after_import, updated_at = excluded.updated_at,
                     presented_on = excluded.presented_on,
                     published_at = coalesce(sheets.published_at, excluded.published_at),
                     summary = CASE WHEN sheets.summary_edited THEN sheets.summary ELSE excluded.summary END""",
                [
                    sheet.id,
                    sheet.title,
                    json.dumps(sheet.to_dict(), ensure_ascii=False),
                    sheet.region,
                    sheet.event,
                    sheet.year,
                    status,
                    origin,
                    imported_hash,
                    edited_flag,
                    now,
                    presented_on(sheet),
                    now if status == PUBLISHED else None,
                    extract_summary(sheet),
                ],
            )
            self.db.execute("DELETE FROM sheet_tags WHERE sheet_id = ?", [sheet.id])
            tags = [(sheet.id, facet, value) for facet in FACETS for value in getattr(sheet, facet)]
            tags += [(sheet.id, "organisations", org) for org in sheet.organisations]
            self.db.conn.executemany("INSERT OR IGNORE INTO sheet_tags VALUES (?, ?, ?)", tags)
            self._save_parts(sheet)

    def _save_parts(self, sheet: Sheet) -> None:
        existing = {
            section: (part_id, passage_hash)
            for part_id, section, passage_hash in self.db.execute(
                "SELECT id, section, passage_hash FROM parts WHERE sheet_id = ?", [sheet.id]
            ).fetchall()
        }
        parts = sheet.parts()
        changed = False
        for section, (part_id, _) in existing.items():
            if section not in parts:
                self.db.execute("DELETE FROM parts_fts WHERE rowid = ?", [part_id])
                self.db.execute("DELETE FROM parts WHERE id = ?", [part_id])
                changed = True
        for section, text in parts.items():
            new_hash = passage_hash(passage_text(sheet, section))
            index_terms = " ".join(terms(text))
            if section in existing:
                part_id, old_hash = existing[section]
                self.db.execute("UPDATE parts SET text = ?, passage_hash = ? WHERE id = ?", [text, new_hash, part_id])
                self.db.execute("DELETE FROM parts_fts WHERE rowid = ?", [part_id])
                changed |= old_hash != new_hash
            else:
                part_id = self.db.execute(
                    "INSERT INTO parts (sheet_id, section, text, passage_hash) VALUES (?, ?, ?, ?)",
                    [sheet.id, section, text, new_hash],
                ).lastrowid
                changed = True
            self.db.execute("INSERT INTO parts_fts (rowid, terms) VALUES (?, ?)", [part_id, index_terms])
        if changed:
            self._bump_vectors_version()

    def delete_sheet(self, sheet_id: str) -> bool:
        with self.transaction():
            part_ids = [r[0] for r in self.db.execute("SELECT id FROM parts WHERE sheet_id = ?", [sheet_id])]
            self.db.conn.executemany("DELETE FROM parts_fts WHERE rowid = ?", [(i,) for i in part_ids])
            deleted = self.db.execute("DELETE FROM sheets WHERE id = ?", [sheet_id]).rowcount > 0
            if deleted:
                self._bump_vectors_version()
            return deleted

    def record(self, sheet_id: str) -> SheetRecord | None:
        row = self.db.execute(
            "SELECT data, status, origin, imported_hash, edited_after_import, updated_at FROM sheets WHERE id = ?",
            [sheet_id],
        ).fetchone()
        if row is None:
            return None
        return SheetRecord(Sheet.from_dict(json.loads(row[0])), row[1], row[2], row[3], bool(row[4]), row[5])

    def get_sheet(self, sheet_id: str, status: str | None = PUBLISHED) -> Sheet | None:
        record = self.record(sheet_id)
        if record is None or (status is not None and record.status != status):
            return None
        return record.sheet

    def sheets(self, ids: Iterable[str] | None = None, status: str | None = PUBLISHED) -> list[Sheet]:
        """Sheets in id order (or in the order of ``ids``)."""
        clauses, params = [], []
        if ids is not None:
            ids = list(ids)
            clauses.append(f"id IN {IN_JSON}")
            params.append(_json_list(ids))
        if status is not None:
            # "+status": with an id list, look ids up by key rather than scan a status index
            clauses.append("+status = ?" if ids is not None else "status = ?")
            params.append(status)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = {row[0]: row[1] for row in self.db.execute(f"SELECT id, data FROM sheets{where} ORDER BY id", params)}
        order = list(rows) if ids is None else [i for i in ids if i in rows]
        return [Sheet.from_dict(json.loads(rows[i])) for i in order]

    def sheet_ids(self, origin: str | None = None, status: str | None = PUBLISHED) -> list[str]:
        clauses, params = [], []
        if origin is not None:
            clauses.append("origin = ?")
            params.append(origin)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [r[0] for r in self.db.execute(f"SELECT id FROM sheets{where} ORDER BY id", params)]

    def count(self, status: str | None = PUBLISHED) -> int:
        if status is None:
            return int(self.db.execute("SELECT count(*) FROM sheets").fetchone()[0])
        return int(self.db.execute("SELECT count(*) FROM sheets WHERE status = ?", [status]).fetchone()[0])

    # -- filters and facets --------------------------------------------------------------------
    def filter_ids(self, filters: dict[str, Sequence[str]], status: str = PUBLISHED) -> list[str]:
        """Ids of the sheets that match every filter (values of one filter are alternatives)."""
        clauses, params = ["status = ?"], [status]
        for name, given in filters.items():
            values: list[str | int] = [str(v) for v in given if str(v).strip()]
            if name == "year":  # integers, as stored, so that the index serves it; a non-year matches none
                values = [int(v) if str(v).isdigit() and len(str(v)) <= 4 else -1 for v in values]
            if not values:
                continue
            marks = ", ".join("?" * len(values))
            if name in ("region", "event", "year"):
                clauses.append(f"{name} IN ({marks})")
            else:
                clauses.append(f"id IN (SELECT sheet_id FROM sheet_tags WHERE facet = ? AND value IN ({marks}))")
                params.append(name)
            params.extend(values)
        sql = f"SELECT id FROM sheets WHERE {' AND '.join(clauses)} ORDER BY id"
        return [r[0] for r in self.db.execute(sql, params)]

    def facet_counts(self, ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each filter, how many of these sheets carry each value."""
        counts: dict[str, dict[str, int]] = {name: {} for name in ("region", *FACETS, "event", "year")}
        if not ids:
            return counts
        id_list = _json_list(ids)
        for column in ("region", "event", "year"):
            for value, n in self.db.execute(
                f"SELECT {column}, count(*) FROM sheets WHERE id IN {IN_JSON} AND {column} IS NOT NULL "
                f"GROUP BY {column} ORDER BY count(*) DESC, {column}",
                [id_list],
            ):
                counts[column][str(value)] = n
        for facet, value, n in self.db.execute(
            f"SELECT facet, value, count(*) FROM sheet_tags WHERE sheet_id IN {IN_JSON} "
            "GROUP BY facet, value ORDER BY count(*) DESC, value",
            [id_list],
        ):
            if facet in counts:
                counts[facet][value] = n
        return counts

    # -- parts, keywords and vectors ---------------------------------------------------------
    def parts(self, sheet_ids: Sequence[str] | None = None, status: str | None = None) -> list[Part]:
        sql = "SELECT p.id, p.sheet_id, p.section, p.text FROM parts p JOIN sheets s ON s.id = p.sheet_id WHERE 1"
        params: list[Any] = []
        if sheet_ids is not None:
            sql += f" AND p.sheet_id IN {IN_JSON}"
            params.append(_json_list(sheet_ids))
        if status is not None:
            sql += " AND +s.status = ?" if sheet_ids is not None else " AND s.status = ?"
            params.append(status)
        return [Part(*row) for row in self.db.execute(sql + " ORDER BY p.id", params)]

    def part_ids(self, sheet_ids: Sequence[str]) -> np.ndarray:
        rows = self.db.execute(f"SELECT id FROM parts WHERE sheet_id IN {IN_JSON}", [_json_list(sheet_ids)]).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def keyword_search(self, query_terms: Sequence[str], limit: int = 400) -> list[tuple[int, float]]:
        """(part id, BM25 score, higher is better) of the best parts matching any term, any status.

        The terms are analysed words (letters and digits only); each is quoted, so FTS5 operators in
        a user's query are plain words here.
        """
        unique = [t for t in dict.fromkeys(query_terms) if t and '"' not in t]
        if not unique:
            return []
        match = " OR ".join(f'"{t}"' for t in unique)
        rows = self.db.execute(
            "SELECT rowid, -rank FROM parts_fts WHERE parts_fts MATCH ? ORDER BY rank LIMIT ?", [match, limit]
        ).fetchall()
        return [(int(a), float(b)) for a, b in rows]

    def term_counts(self, query_terms: Sequence[str]) -> dict[str, int]:
        """How many parts hold each term."""
        unique = list(dict.fromkeys(query_terms))
        rows = self.db.execute(f"SELECT term, doc FROM parts_vocab WHERE term IN {IN_JSON}", [_json_list(unique)])
        return dict(rows.fetchall())

    def part_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM parts").fetchone()[0])

    def known_terms(self, candidates: Sequence[str]) -> set[str]:
        """Which of these analysed terms occur in the corpus (an index lookup, not a scan)."""
        return {
            r[0]
            for r in self.db.execute(f"SELECT term FROM parts_vocab WHERE term IN {IN_JSON}", [_json_list(candidates)])
        }

    def part_owners(self, part_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Part id -> (sheet id, section), for the given parts of published sheets only."""
        rows = self.db.execute(
            f"""SELECT p.id, p.sheet_id, p.section FROM parts p JOIN sheets s ON s.id = p.sheet_id
                WHERE p.id IN {IN_JSON} AND +s.status = 'published'""",
            [json.dumps([int(i) for i in part_ids])],
        ).fetchall()
        return {int(a): (b, c) for a, b, c in rows}

    def parts_missing_vectors(self, model: str, status: str | None = None) -> list[tuple[int, str, str, str]]:
        """(part id, sheet id, section, passage hash) of the parts whose vector is absent or stale."""
        only = "AND p.sheet_id IN (SELECT id FROM sheets WHERE status = ?)" if status else ""
        return [
            (int(a), b, c, d)
            for a, b, c, d in self.db.execute(
                f"""SELECT p.id, p.sheet_id, p.section, p.passage_hash FROM parts p
                   LEFT JOIN vectors v ON v.part_id = p.id AND v.model = ? AND v.passage_hash = p.passage_hash
                   WHERE v.part_id IS NULL {only} ORDER BY p.id""",
                [model, status] if status else [model],
            )
        ]

    def save_vectors(self, model: str, rows: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Store vectors (part id, passage hash, vector) for one model, in one transaction."""
        with self.transaction():
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO vectors (part_id, model, passage_hash, vector) VALUES (?, ?, ?, ?)",
                [(pid, model, h, np.asarray(v, dtype=VECTOR_DTYPE).tobytes()) for pid, h, v in rows],
            )
            self._bump_vectors_version()

    def drop_other_models(self, model: str) -> int:
        """Delete vectors made by any other model: vectors of two models are never mixed."""
        with self.transaction():
            n = self.db.execute("DELETE FROM vectors WHERE model != ?", [model]).rowcount
            if n:
                self._bump_vectors_version()
            return n

    def vectors(
        self, model: str, status: str | None = PUBLISHED, sheet_ids: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(part ids, matrix) of the current vectors of one model, for the given sheet status."""
        sql = """SELECT v.part_id, v.vector FROM vectors v JOIN parts p ON p.id = v.part_id
                 JOIN sheets s ON s.id = p.sheet_id
                 WHERE v.model = ? AND v.passage_hash = p.passage_hash"""
        params: list[Any] = [model]
        if status is not None:
            sql += " AND +s.status = ?" if sheet_ids is not None else " AND s.status = ?"
            params.append(status)
        if sheet_ids is not None:
            sql += f" AND p.sheet_id IN {IN_JSON}"
            params.append(_json_list(sheet_ids))
        rows = self.db.execute(sql + " ORDER BY v.part_id", params).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=VECTOR_DTYPE).reshape(len(rows), -1)
        return ids, matrix.astype(np.float32)

    def part_hashes(self, sheet_id: str, model: str) -> dict[str, str]:
        """Section -> passage hash of the parts of a sheet that have a current vector."""
        return dict(
            self.db.execute(
                """SELECT p.section, p.passage_hash FROM parts p JOIN vectors v ON v.part_id = p.id
                   WHERE p.sheet_id = ? AND v.model = ? AND v.passage_hash = p.passage_hash""",
                [sheet_id, model],
            ).fetchall()
        )

    def part_vectors(self, sheet_id: str, model: str) -> np.ndarray:
        """The current vectors of one sheet's parts (rows), for one model."""
        rows = self.db.execute(
            """SELECT v.vector FROM vectors v JOIN parts p ON p.id = v.part_id
               WHERE p.sheet_id = ? AND v.model = ? AND v.passage_hash = p.passage_hash ORDER BY p.id""",
            [sheet_id, model],
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([np.frombuffer(r[0], dtype=VECTOR_DTYPE) for r in rows]).astype(np.float32)

    def log_index_change(self, version_before: int, sheet_id: str, removed: Sequence[int]) -> None:
        """Record, inside the change's transaction, which sheet's vectors changed and which part ids
        left, so other processes can patch their index instead of reloading it."""
        self.db.execute(
            "INSERT INTO index_log (version_before, version_after, sheet_id, removed) VALUES (?, ?, ?, ?)",
            [version_before, self.vectors_version, sheet_id, json.dumps([int(i) for i in removed])],
        )

    def index_changes(self, since: int) -> list[tuple[int, int, str, list[int]]]:
        """(version before, version after, sheet id, removed part ids) of the changes after ``since``."""
        return [
            (a, b, c, json.loads(d))
            for a, b, c, d in self.db.execute(
                "SELECT version_before, version_after, sheet_id, removed FROM index_log WHERE version_after > ? "
                "ORDER BY id",
                [since],
            )
        ]

    def index_change_count(self, since: int) -> int:
        return int(self.db.execute("SELECT count(*) FROM index_log WHERE version_after > ?", [since]).fetchone()[0])

    def prune_index_log(self, upto: int) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM index_log WHERE version_after <= ?", [upto])

    @property
    def vectors_version(self) -> int:
        """Changes whenever the set of indexable vectors may have changed."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'vectors_version'").fetchone()[0])

    def _bump_vectors_version(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'vectors_version'")

    def set_status(self, sheet_id: str, status: str) -> None:
        with self.transaction():
            self.db.execute(
                """UPDATE sheets SET status = ?, updated_at = ?,
                     published_at = coalesce(published_at, CASE WHEN ? = 'published' THEN ? END) WHERE id = ?""",
                [status, now := _now(), status, now, sheet_id],
            )
            self._bump_vectors_version()

    # -- dates, « En bref », contact requests ---------------------------------------------------
    def publication(self, sheet_id: str) -> Publication | None:
        row = self.db.execute(
            "SELECT presented_on, published_at, updated_at, summary, summary_edited FROM sheets WHERE id = ?",
            [sheet_id],
        ).fetchone()
        return Publication(row[0], row[1], row[2], row[3] or "", bool(row[4])) if row else None

    def summaries(self, sheet_ids: Sequence[str]) -> dict[str, str]:
        """« En bref » of these sheets, by id (one query, for a compendium)."""
        rows = self.db.execute(f"SELECT id, summary FROM sheets WHERE id IN {IN_JSON}", [_json_list(sheet_ids)])
        return {sheet_id: summary for sheet_id, summary in rows if summary}

    def set_summary(self, sheet_id: str, summary: str | None) -> None:
        """A moderator's « En bref » for a sheet; None or blank goes back to the automatic extract."""
        with self.transaction():
            if summary and summary.strip():
                self.db.execute(
                    "UPDATE sheets SET summary = ?, summary_edited = 1 WHERE id = ?", [summary.strip(), sheet_id]
                )
                return
            row = self.db.execute("SELECT data FROM sheets WHERE id = ?", [sheet_id]).fetchone()
            if row:
                automatic = extract_summary(Sheet.from_dict(json.loads(row[0])))
                self.db.execute("UPDATE sheets SET summary = ?, summary_edited = 0 WHERE id = ?", [automatic, sheet_id])

    def latest_published(self, limit: int) -> list[tuple[Sheet, str]]:
        """The most recently published sheets with their publication time, newest first."""
        rows = self.db.execute(
            """SELECT data, published_at FROM sheets WHERE status = ? AND published_at IS NOT NULL
               ORDER BY published_at DESC, id LIMIT ?""",
            [PUBLISHED, limit],
        ).fetchall()
        return [(Sheet.from_dict(json.loads(data)), at) for data, at in rows]

    def add_contact_request(self, sheet_id: str, name: str, email: str, message: str) -> int:
        with self.transaction():
            return int(
                self.db.execute(
                    """INSERT INTO contact_requests (sheet_id, name, email, message, created_at)
                       VALUES (?, ?, ?, ?, ?)""",
                    [sheet_id, name, email, message, _now()],
                ).lastrowid
            )

    def contact_requests(self, handled: bool | None = None) -> list[ContactRequest]:
        """Requests, oldest first; ``handled`` False for the open ones, True for the closed ones."""
        where = {None: "", False: " WHERE handled_at IS NULL", True: " WHERE handled_at IS NOT NULL"}[handled]
        rows = self.db.execute(
            "SELECT id, sheet_id, name, email, message, created_at, handled_at, handled_by "
            f"FROM contact_requests{where} ORDER BY id"
        ).fetchall()
        return [ContactRequest(*row) for row in rows]

    def contact_request(self, request_id: int) -> ContactRequest | None:
        row = self.db.execute(
            "SELECT id, sheet_id, name, email, message, created_at, handled_at, handled_by "
            "FROM contact_requests WHERE id = ?",
            [request_id],
        ).fetchone()
        return ContactRequest(*row) if row else None

    def mark_contact_handled(self, request_id: int, user: str) -> bool:
        """Close an open request; False if there is none open with this id."""
        with self.transaction():
            return (
                self.db.execute(
                    "UPDATE contact_requests SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at IS NULL",
                    [_now(), user, request_id],
                ).rowcount
                > 0
            )

    # -- topic map (kb.topics) ----------------------------------------------------------------
    def topic_map(self) -> tuple[dict[str, str], dict[str, str], str | None]:
        """Each mapped sheet's topic, each topic's label, and the model the map was made with."""
        members = dict(self.db.execute("SELECT sheet_id, topic FROM topic_map").fetchall())
        labels = dict(self.db.execute("SELECT topic, label FROM topic_labels").fetchall())
        row = self.db.execute("SELECT value FROM meta WHERE key = 'topic_model'").fetchone()
        return members, labels, row[0] if row else None

    def save_topic_map(self, members: dict[str, str], labels: dict[str, str], model: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM topic_map")
            self.db.execute("DELETE FROM topic_labels")
            self.db.conn.executemany("INSERT INTO topic_map VALUES (?, ?)", sorted(members.items()))
            self.db.conn.executemany("INSERT INTO topic_labels VALUES (?, ?)", sorted(labels.items()))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('topic_model', ?)", [model])
