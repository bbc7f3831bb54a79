"""The connection, its transactions and the version of the vectors: what every part of the store shares."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kb.store.schema import MIGRATIONS, SCHEMA_VERSION

PUBLISHED = "published"
# Id lists travel as one JSON parameter: no limit on their length (SQLite caps '?' parameters).
# Queries given such a list write "+status" so the planner looks the ids up by key instead of
# scanning the (status, …) indexes, which the filters need.
IN_JSON = "(SELECT value FROM json_each(?))"


class StoreError(RuntimeError):
    """The database cannot be used (newer schema, corrupt file)."""


def json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))


def now() -> str:
    """The time stamps of the store (and the audit log): UTC, to the second, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def copy_database(conn: sqlite3.Connection, destination: str | Path) -> None:
    """Copy an open database to ``destination`` in one step (SQLite's online backup, then a rename)."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    target = sqlite3.connect(partial)
    try:
        conn.backup(target)
    finally:
        target.close()
    os.replace(partial, destination)


class Database:
    """One SQLite connection (``db``) to ``kb.sqlite``, migrated when opened for writing."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._writing = threading.RLock()
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if readonly:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            else:
                self.db = sqlite3.connect(self.path, check_same_thread=False)
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.migrate()
            elif self.schema_version != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {self.schema_version}, this program needs {SCHEMA_VERSION}: "
                    "run 'kb build' to migrate it"
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable Recueil database ({exc})") from None

    def close(self) -> None:
        self.db.close()

    def backup(self, destination: str | Path) -> None:
        """A consistent copy through SQLite's online backup: safe while others read and write."""
        copy_database(self.db, destination)

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
        """One atomic write: everything inside commits together or not at all. Threads sharing
        this connection (a web worker's writer) take turns; a nested call joins the outer one."""
        conn = self.db
        with self._writing:
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

    def table_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def commit(self) -> None:
        """End the implicit read transaction, so the next read sees other processes' writes."""
        self.db.commit()

    def change_stamp(self) -> tuple[int, int]:
        """Moves whenever the database may have changed since it was last taken: another connection,
        of this process or another, committed (``PRAGMA data_version``), or this one wrote
        (``total_changes``, committed or not). What was read after a stamp holds while it stays the
        same: one cheap statement instead of reading again."""
        return self.db.execute("PRAGMA data_version").fetchone()[0], self.db.total_changes

    @property
    def vectors_version(self) -> int:
        """Changes whenever the set of indexable vectors may have changed, and with a sheet's tags,
        organisations, region, event or year (searches keep which sheets carry one per version:
        ``kb.corpus_facts``)."""
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'vectors_version'").fetchone()[0])

    def advance_vectors_version(self, past: int) -> None:
        """Set the corpus version beyond ``past`` (a restored base's number may equal the replaced
        base's, and running processes would keep that base's facts under it)."""
        with self.transaction():
            self.db.execute(
                "UPDATE meta SET value = max(CAST(value AS INTEGER), ?) + 1 WHERE key = 'vectors_version'", [past]
            )

    def _bump_vectors_version(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'vectors_version'")
