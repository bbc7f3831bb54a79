"""Restoring a backup: only a database whose schema is exactly what Recueil's migrations make.

A backup file is untrusted: a trigger added to it (say, copying the next contributor's private
e-mail into a published title) would run inside the restored base forever. So every schema
object of the backup (tables, indexes, triggers, views) is compared with the schema that
replaying the migrations up to the backup's version creates; anything missing, added or
changed refuses the restore. The accepted copy is then migrated to the current version.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from kb import config
from kb.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError

SchemaObject = tuple[str, str, str, str]  # type, name, table, SQL


def schema_objects(conn: sqlite3.Connection) -> set[SchemaObject]:
    """Every schema object but SQLite's own (``sqlite_sequence``, ``sqlite_stat1``, autoindexes)."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE substr(name, 1, 7) != 'sqlite_'"
    )
    return {(kind, name, table, " ".join(sql.split())) for kind, name, table, sql in rows}


def expected_schema(version: int) -> set[SchemaObject]:
    """The schema that the first ``version`` migrations create."""
    conn = sqlite3.connect(":memory:")
    try:
        for number in range(version):
            MIGRATIONS[number](conn)
        return schema_objects(conn)
    finally:
        conn.close()


class RestoreError(ValueError):
    """A restore refused (the message says why)."""


def restore(source: str | os.PathLike[str], index_dir: str | os.PathLike[str] | None, force: bool) -> tuple[int, int]:
    """Replace the knowledge base in ``index_dir`` by a checked backup, migrate it to the current
    version and rebuild its index; returns (sheets, vectors). Refuses to replace one unless ``force``."""
    from kb.knowledge_base import KnowledgeBase

    folder = config.index_dir(index_dir)
    target = folder / config.DB_FILE
    if target.exists() and not force:
        raise RestoreError(f"{target} exists: use --force to replace it (back it up first)")
    try:
        check_backup(source)
    except StoreError as exc:
        raise RestoreError(f"{source} is not a Recueil backup: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    replaced = _corpus_version(target)
    backup = sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True)
    live = sqlite3.connect(target)
    try:  # SQLite's backup API into a connection to the live base: its WAL stays consistent
        backup.backup(live)
    finally:
        live.close()
        backup.close()
    kb = KnowledgeBase(folder)  # opening for writing migrates to the current version
    try:
        kb.store.advance_vectors_version(past=replaced)
        return kb.store.count(None), kb.update_vectors().vectors
    finally:
        kb.close()


def _corpus_version(database: Path) -> int:
    """The corpus version of the base about to be replaced (-1 when there is none to read)."""
    if not database.exists():
        return -1
    try:
        store = Store(database, readonly=True)
    except StoreError:  # damaged, or of another schema version: no running search keeps its facts
        return -1
    try:
        return store.vectors_version
    finally:
        store.close()


def check_backup(path: str | os.PathLike[str]) -> int:
    """The backup's schema version, once its schema matches that version's; else ``StoreError``."""
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            found = schema_objects(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"not a usable database ({exc})") from None
    if not 1 <= version <= SCHEMA_VERSION:
        raise StoreError(f"schema version {version}; this program knows versions 1 to {SCHEMA_VERSION}")
    expected = expected_schema(version)
    differences = [f"unexpected {kind} {name!r}" for kind, name, _, _ in sorted(found - expected)]
    differences += [f"missing or changed {kind} {name!r}" for kind, name, _, _ in sorted(expected - found)]
    if differences:
        raise StoreError(f"its schema is not Recueil's (version {version}): {'; '.join(differences)}")
    return version
