"""The knowledge base: one small class gluing store, encoder, vector index and search.

Each component works alone (see their modules); this class only keeps them in agreement:
vectors are encoded for parts that lack one, the FAISS index is loaded when it matches the store
and rebuilt from the stored vectors when it does not.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from kb import config
from kb.encoder import Encoder
from kb.importer import ImportReport, import_directory
from kb.search import Mode, Results, Searcher
from kb.sheet import Sheet
from kb.store import Store, passage_hash, passage_text
from kb.vector_index import MANIFEST_FILE, IndexMismatch, Manifest, VectorIndex, read_manifest

log = logging.getLogger(__name__)
ENCODE_BATCH = 64
COMPACT_AFTER = 50  # logged changes a loading process replays before the writer saves the whole index
LOCK_FILE = ".index.lock"
Progress = Callable[[int, int], None]


class NeedsBuild(RuntimeError):
    """The store has parts without vectors for the configured model: run ``kb build``."""


@dataclass
class IndexReport:
    encoded: int
    reused: int
    dropped_other_model: int
    vectors: int


class KnowledgeBase:
    def __init__(
        self,
        index_dir: str | os.PathLike[str] | None = None,
        model: str | None = None,
        readonly: bool = False,
        encoder: Encoder | None = None,
    ) -> None:
        self.index_dir = config.index_dir(index_dir)
        self.readonly = readonly
        self.store = Store(self.index_dir / config.DB_FILE, readonly=readonly)
        self.encoder = encoder or Encoder(model)
        self._index: VectorIndex | None = None
        self._index_version = -1
        self._saved_version = -1
        self._file_seen: tuple[int, int] | None = None  # the index file pair last loaded or saved here
        self._compaction: threading.Thread | None = None

    def close(self) -> None:
        self.flush()
        self.store.close()

    # -- building ------------------------------------------------------------------------------
    def import_practices(self, directory: str | os.PathLike[str] | None = None) -> ImportReport:
        return import_directory(self.store, directory or config.practices_dir())

    def update_vectors(self, progress: Progress | None = None) -> IndexReport:
        """Encode the parts that lack a vector for this model, then rebuild and save the index."""
        model = self.encoder.model_id
        dropped = self.store.drop_other_models(model)
        missing = self.store.parts_missing_vectors(model)
        total_parts = self.store.part_count()
        sheets: dict[str, Sheet | None] = {}  # a batch's parts often share a sheet
        done = 0
        for start in range(0, len(missing), ENCODE_BATCH):
            batch = missing[start : start + ENCODE_BATCH]
            texts = []
            for _, sheet_id, section, _ in batch:
                if sheet_id not in sheets:
                    sheets[sheet_id] = self.store.get_sheet(sheet_id, status=None)
                texts.append(passage_text(sheets[sheet_id], section))  # type: ignore[arg-type]
            vectors = self.encoder.encode_passages(texts)
            self.store.save_vectors(model, [(pid, h, v) for (pid, _, _, h), v in zip(batch, vectors, strict=True)])
            done += len(batch)
            if progress:
                progress(done, len(missing))
        index = self._build_index()
        return IndexReport(len(missing), total_parts - len(missing), dropped, len(index))

    # -- incremental writes (web contributions and moderation) ------------------------------
    def save_sheet(
        self, sheet: Sheet, *, status: str, origin: str, edited: bool = False, also: Callable[[], None] | None = None
    ) -> None:
        """Save one sheet and its vectors in one transaction (with ``also``, e.g. an audit entry),
        then update the index for this sheet only. Only parts whose text changed are encoded,
        before the transaction, so it stays short."""
        model = self.encoder.model_id
        have = self.store.part_hashes(sheet.id, model)
        wanted = {section: passage_text(sheet, section) for section in sheet.parts()}
        todo = {sec: text for sec, text in wanted.items() if have.get(sec) != passage_hash(text)}
        vectors = self.encoder.encode_passages(list(todo.values()))

        def write() -> None:
            self.store.save_sheet(sheet, status=status, origin=origin, edited=edited)
            ids = {p.section: p.id for p in self.store.parts([sheet.id])}
            rows = [(ids[sec], passage_hash(text), v) for (sec, text), v in zip(todo.items(), vectors, strict=True)]
            self.store.save_vectors(model, rows)

        self._change(sheet.id, write, also)

    def set_status(self, sheet_id: str, status: str, also: Callable[[], None] | None = None) -> None:
        """Publish, unpublish or reject a sheet in one transaction, then update the index."""
        record = self.store.record(sheet_id)
        if record is None:
            raise KeyError(sheet_id)
        if self.store.part_hashes(sheet_id, self.encoder.model_id) != {
            section: passage_hash(passage_text(record.sheet, section)) for section in record.sheet.parts()
        }:  # e.g. imported without vectors: encode now, same path as an edit
            self.save_sheet(record.sheet, status=record.status, origin=record.origin)
        self._change(sheet_id, lambda: self.store.set_status(sheet_id, status), also)

    def delete_sheet(self, sheet_id: str, also: Callable[[], None] | None = None) -> None:
        self._change(sheet_id, lambda: self.store.delete_sheet(sheet_id), also)

    def _change(self, sheet_id: str, write: Callable[[], None], also: Callable[[], None] | None) -> None:
        """One transaction: the change, ``also``, and the index log entry every process replays."""
        with self.store.transaction():
            before = self.store.vectors_version
            removed = self.store.part_ids([sheet_id])
            write()
            if also:
                also()
            self.store.log_index_change(before, sheet_id, removed)
        self.index  # noqa: B018 - patched from the log, like any other process's
        if not self.readonly and self.store.index_change_count(self._saved_version) >= COMPACT_AFTER:
            self._compact()

    def _compact(self) -> None:
        """Fold the logged changes into a new index file, in a thread, from a snapshot of the
        changes: at 100,000 sheets it takes a second or two, which the change that triggers it
        does not wait for."""
        if self._compaction is not None and self._compaction.is_alive():
            return
        self._compaction = threading.Thread(
            target=self._save_snapshot, args=(self.index.detached(), self._index_version), name="kb-compact"
        )
        self._compaction.start()

    def _save_snapshot(self, snapshot: VectorIndex, version: int) -> None:
        """Write ``snapshot`` (the index at ``version``) unless a newer file is there, then prune
        the log through a connection of its own (the store's serves requests meanwhile). Every
        process, this one included, maps the new file at its next search."""
        try:
            with self._saving():
                if self._saved_file_version() < version:
                    manifest = Manifest(self.encoder.model_id, self.encoder.dim, len(snapshot), version)
                    snapshot.save(self.index_dir, manifest, remap=False)
            store = Store(self.store.path)
            try:
                store.prune_index_log(version)
            finally:
                store.close()
            self._saved_version = version
        except Exception:  # e.g. a full disk: the log keeps every change, the next one retries
            log.exception("saving the index in the background failed")

    def _saved_file_version(self) -> int:
        try:
            return read_manifest(self.index_dir).vectors_version
        except IndexMismatch:
            return -1

    def flush(self) -> None:
        """Wait until a background save of the index is over."""
        if self._compaction is not None:
            self._compaction.join()

    # -- the index: loaded, patched from the log, or rebuilt ----------------------------------
    @contextmanager
    def _saving(self) -> Iterator[None]:
        """One process at a time writes the index files (a lock file beside them)."""
        with (self.index_dir / LOCK_FILE).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _save(self, index: VectorIndex) -> None:
        """Write the whole index (after a build, or when the log grew long), then drop the log
        entries it now contains. The manifest records the version the index holds, which the
        store may have passed since: readers replay the rest from the log. Callers hold ``_saving``."""
        self.store.db.conn.commit()
        manifest = Manifest(self.encoder.model_id, self.encoder.dim, len(index), self._index_version)
        index.save(self.index_dir, manifest)
        self._file_seen = self._file_state()
        self._saved_version = self._index_version
        self.store.prune_index_log(self._saved_version)

    def _build_index(self) -> VectorIndex:
        """The index from the stored vectors (no encoding); saved unless read-only."""
        if self.store.parts_missing_vectors(self.encoder.model_id, status="published"):
            raise NeedsBuild(f"some sheets have no vectors for the model {self.encoder.model_id}; run 'kb build'")
        ids, matrix = self.store.vectors(self.encoder.model_id)
        index = VectorIndex.from_vectors(ids, matrix, self.encoder.dim)
        del matrix
        self._index, self._index_version = index, self.store.vectors_version
        if not self.readonly:
            with self._saving():
                self._save(index)
        return index

    def _catch_up(self, index: VectorIndex, version: int, target: int) -> bool:
        """Replay the logged changes from ``version`` to ``target`` on ``index``; False when the
        log does not cover that span (a bulk change happened), so the caller reloads instead."""
        changes = self.store.index_changes(version)
        expected = version
        for before, after, _, _ in changes:
            if before != expected:
                return False
            expected = after
        if expected != target:
            return False
        touched = list(dict.fromkeys(sheet_id for _, _, sheet_id, _ in changes))
        removed = {pid for _, _, _, ids in changes for pid in ids}
        removed.update(self.store.part_ids(touched).tolist())
        index.remove(np.fromiter(removed, dtype=np.int64, count=len(removed)))
        ids, matrix = self.store.vectors(self.encoder.model_id, sheet_ids=touched)
        if len(ids):
            index.add(ids, matrix)
        self._index_version = target
        return True

    def _file_state(self) -> tuple[int, int] | None:
        """Identifies the saved index pair: it changes when any process saves a new one."""
        try:
            found = os.stat(self.index_dir / MANIFEST_FILE)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns

    @property
    def index(self) -> VectorIndex:
        """The FAISS index matching the store now: patched from the change log, loaded from disk
        (then patched), or rebuilt from the stored vectors. Never by re-encoding.

        When another process has saved a newer file, it is mapped in place of ours, so that all
        processes keep sharing one file's pages."""
        version = self.store.vectors_version
        file = self._file_state()
        if (
            self._index is not None
            and file == self._file_seen
            and (self._index_version == version or self._catch_up(self._index, self._index_version, version))
        ):
            return self._index
        self._file_seen = file
        try:
            index, manifest = VectorIndex.load(self.index_dir, self.encoder.model_id, self.encoder.dim)
            self._index, self._index_version, self._saved_version = (
                index,
                manifest.vectors_version,
                manifest.vectors_version,
            )
            if manifest.vectors_version == version or self._catch_up(index, manifest.vectors_version, version):
                return index
        except IndexMismatch as exc:
            if (self.index_dir / MANIFEST_FILE).exists():  # not a first build: the files were damaged or replaced
                rebuilt = self._build_index()
                log.warning(
                    "the index in %s was unusable (%s): rebuilt from the %d stored vectors, nothing re-encoded",
                    self.index_dir,
                    exc,
                    len(rebuilt),
                )
                return rebuilt
        return self._build_index()

    def _vector_count(self) -> int:
        return int(
            self.store.db.execute(
                """SELECT count(*) FROM vectors v JOIN parts p ON p.id = v.part_id JOIN sheets s ON s.id = p.sheet_id
               WHERE v.model = ? AND v.passage_hash = p.passage_hash AND s.status = 'published'""",
                [self.encoder.model_id],
            ).fetchone()[0]
        )

    # -- searching ---------------------------------------------------------------------------
    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.store, None, self.encoder)

    def _fresh_searcher(self, mode: Mode = "hybrid") -> Searcher:
        """The searcher, with the index brought up to date unless the search is keyword-only
        (which then needs neither the index nor the model: the web app answers so while they load)."""
        searcher = self.searcher
        if mode != "keyword":
            searcher.index = self.index
        return searcher

    def search(
        self,
        query: str,
        filters: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: Mode = "hybrid",
    ) -> Results:
        return self._fresh_searcher(mode).search(query, filters, limit, offset, mode)

    def similar(self, sheet_id: str, limit: int = 5) -> list[tuple[Sheet, float]]:
        return self._fresh_searcher().similar(sheet_id, limit)

    def nearest_sheets(self, vector: Any, limit: int = 5, exclude: str | None = None) -> list[tuple[Sheet, float]]:
        return self._fresh_searcher().nearest_sheets(vector, limit, exclude)

    def stats(self) -> dict[str, Any]:
        store = self.store
        return {
            "index_dir": str(self.index_dir),
            "schema_version": store.schema_version,
            "sheets": store.count(),
            "sheets_all_statuses": store.count(None),
            "parts": len(store.parts()),
            "model": self.encoder.model_id,
            "vectors": self._vector_count(),
            "vectors_version": store.vectors_version,
            "database_bytes": _size(Path(store.path)),
        }


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
