"""The FAISS index file's lifecycle: load it, patch it from the store's change log, rebuild it from
the stored vectors, save it, compact the log into it in a thread, and map the file another process
saved. One keeper per process; it never encodes (vectors come from the store).

Thread-safe: ``current()`` patches a copy and swaps it in, so a search running in another thread
keeps the index it started with.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from kb.encoder import Encoder
from kb.store import Store
from kb.vector_index import MANIFEST_FILE, IndexMismatch, Manifest, VectorIndex, read_manifest

log = logging.getLogger(__name__)
COMPACT_AFTER = 50  # logged changes a loading process replays before the writer saves the whole index
LOCK_FILE = ".index.lock"


class NeedsBuild(RuntimeError):
    """The store has parts without vectors for the configured model: run ``kb build``."""


class IndexKeeper:
    def __init__(self, db_path: Path, index_dir: Path, encoder: Encoder, readonly: bool = False) -> None:
        self.index_dir = index_dir
        self.encoder = encoder  # for its model id and dimension only
        self.readonly = readonly
        self.store = Store(db_path, readonly=readonly)  # its own connection: requests use theirs meanwhile
        self._lock = threading.RLock()
        self._index: VectorIndex | None = None
        self._index_version = -1
        self._saved_version = -1
        self._file_seen: tuple[int, int] | None = None  # the index file pair last loaded or saved here
        self._manifest = os.fspath(index_dir / MANIFEST_FILE)  # stat once per search: no Path built each time
        self._compaction: threading.Thread | None = None

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def close(self) -> None:
        self.flush()
        self.store.close()

    def current(self) -> VectorIndex:
        """The FAISS index matching the store now: patched from the change log, loaded from disk
        (then patched), or rebuilt from the stored vectors. Never by re-encoding.

        When another process has saved a newer file, it is mapped in place of ours, so that all
        processes keep sharing one file's pages."""
        with self._lock:
            version = self.store.vectors_version
            file = self._file_state()
            if self._index is not None and file == self._file_seen:
                if self._index_version == version:
                    return self._index
                patched = self._index.detached()
                if self._catch_up(patched, self._index_version, version):
                    self._index = patched
                    return patched
            self._file_seen = file
            loaded = self._load(version)
            return loaded if loaded is not None else self.rebuild()

    def _load(self, version: int) -> VectorIndex | None:
        """The saved index brought to ``version``, or None when it is missing, damaged, stale or
        of another model. The one place where ``IndexMismatch`` is handled."""
        try:
            index, manifest = VectorIndex.load(self.index_dir, self.model_id, self.dim)
        except IndexMismatch as exc:
            if (self.index_dir / MANIFEST_FILE).exists():  # not a first build: damaged or replaced files
                log.warning(
                    "the index in %s was unusable (%s): rebuilt from the stored vectors, nothing re-encoded",
                    self.index_dir,
                    exc,
                )
            return None
        self._index = index
        self._index_version = self._saved_version = manifest.vectors_version
        if manifest.vectors_version == version or self._catch_up(index, manifest.vectors_version, version):
            return index
        return None

    def rebuild(self) -> VectorIndex:
        """The index from the stored vectors (no encoding); saved unless read-only."""
        with self._lock:
            if self.store.parts_missing_vectors(self.model_id, status="published"):
                raise NeedsBuild(f"some sheets have no vectors for the model {self.model_id}; run 'kb build'")
            version = self.store.vectors_version
            ids, matrix = self.store.vectors(self.model_id)
            index = VectorIndex.from_vectors(ids, matrix, self.dim)
            del matrix
            self._index, self._index_version = index, version
            if not self.readonly:
                with self._saving():
                    self._save(index)
            return index

    def changed(self) -> None:
        """After a logged change: patch the index now (as any other process will), and fold the log
        into a new index file once it grew long."""
        with self._lock:  # the keeper's connection and its saved version, as every other reader of them
            self.current()
            if not self.readonly and self.store.index_change_count(self._saved_version) >= COMPACT_AFTER:
                self._compact()

    def flush(self) -> None:
        """Wait until a background save of the index is over."""
        compaction = self._compaction
        if compaction is not None:
            compaction.join()

    # -- saving -----------------------------------------------------------------------------------
    def _compact(self) -> None:
        """Fold the logged changes into a new index file, in a thread, from a snapshot of the
        changes: at 100,000 sheets it takes a second or two, which the change that triggers it
        does not wait for."""
        with self._lock:
            if self._compaction is not None and self._compaction.is_alive():
                return
            snapshot = self.current().detached()
            self._compaction = threading.Thread(
                target=self._save_snapshot, args=(snapshot, self._index_version), name="kb-compact"
            )
            self._compaction.start()

    def _save_snapshot(self, snapshot: VectorIndex, version: int) -> None:
        """Write ``snapshot`` (the index at ``version``) unless a newer file is there, then prune
        the log through a connection of its own. Every process, this one included, maps the new
        file at its next search."""
        try:
            with self._saving():
                if self._saved_file_version() < version:
                    manifest = Manifest(self.model_id, self.dim, len(snapshot), version)
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
        self.store.commit()
        index.save(self.index_dir, Manifest(self.model_id, self.dim, len(index), self._index_version))
        self._file_seen = self._file_state()
        self._saved_version = self._index_version
        self.store.prune_index_log(self._saved_version)

    # -- patching ---------------------------------------------------------------------------------
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
        ids, matrix = self.store.vectors(self.model_id, sheet_ids=touched)
        if len(ids):
            index.add(ids, matrix)
        self._index_version = target
        return True

    def _file_state(self) -> tuple[int, int] | None:
        """Identifies the saved index pair: it changes when any process saves a new one."""
        try:
            found = os.stat(self._manifest)
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns
