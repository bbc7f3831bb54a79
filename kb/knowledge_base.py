"""The knowledge base: one small class gluing store, encoder, index keeper and search.

Each component works alone (see their modules); this class only keeps them in agreement: vectors
are encoded for parts that lack one and saved with the sheet in one transaction, and the index
keeper is told after each change. One writer connection (``store``) per process; each thread
reads through its own connection (``reader()``), the way Datasette serves many readers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb import config
from kb.encoder import Encoder
from kb.importer import ImportReport, import_directory
from kb.index_keeper import IndexKeeper, NeedsBuild
from kb.language import load_word_lists
from kb.passages import indexed_parts, passage_text
from kb.search import Mode, Results, Searcher
from kb.sheet import Sheet
from kb.spelling import WordKeeper
from kb.store import Store, passage_hash
from kb.vector_index import VectorIndex

__all__ = ["IndexReport", "KnowledgeBase", "NeedsBuild"]
ENCODE_BATCH = 64
Progress = Callable[[int, int], None]


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
        self.keeper = IndexKeeper(self.store.path, self.index_dir, self.encoder, readonly=readonly)
        self.words = WordKeeper(self.store.path)  # the spelling suggestions' words, shared by threads
        self._local = threading.local()  # each thread's read connection and searcher
        self._readers: list[Store] = []
        self._readers_lock = threading.Lock()

    def close(self) -> None:
        self.words.wait()
        self.keeper.close()
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        self.store.close()

    def flush(self) -> None:
        """Wait until a background save of the index is over."""
        self.keeper.flush()

    def reader(self) -> Store:
        """This thread's read-only connection: threads read side by side, never through the writer."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.store.path, readonly=True)
            with self._readers_lock:
                self._readers.append(store)
        return store

    def warm_up(self) -> None:
        """Read now what a process's first queries would otherwise wait for: the spelling's corpus
        words (0.5 s at 100,000 sheets) and the general word lists that tell a typo from an English
        or French word (0.4 s, about 50 MB). A web worker runs it in a thread of its own as it
        starts; it changes no answer."""
        store = Store(self.store.path, readonly=True)
        try:
            self.words.current(store)
        finally:
            store.close()
        load_word_lists()

    def current_index(self) -> VectorIndex:
        """The FAISS index, brought up to date with the store (see ``IndexKeeper.current``)."""
        return self.keeper.current()

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
        index = self.keeper.rebuild()
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
        wanted = {section: passage_text(sheet, section) for section in indexed_parts(sheet)}
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
            section: passage_hash(passage_text(record.sheet, section)) for section in indexed_parts(record.sheet)
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
        self.keeper.changed()

    # -- searching ---------------------------------------------------------------------------
    def searcher(self, mode: Mode = "hybrid") -> Searcher:
        """This thread's searcher on its read connection, with the index brought up to date unless
        the search is keyword-only (which needs neither the index nor the model)."""
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = Searcher(self.reader(), None, self.encoder, self.words)
        if mode != "keyword":
            searcher.index = self.current_index()
        return searcher

    def searcher_for_fitting(self) -> Searcher:
        """A searcher that marks nothing strong and keeps each hit's raw evidence (``kb calibrate``)."""
        searcher = Searcher(self.reader(), self.current_index(), self.encoder, self.words)
        searcher.calibration = None
        return searcher

    def search(
        self,
        query: str,
        filters: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: Mode = "hybrid",
    ) -> Results:
        return self.searcher(mode).search(query, filters, limit, offset, mode)

    def similar(self, sheet_id: str, limit: int = 5) -> list[tuple[Sheet, float]]:
        return self.searcher().similar(sheet_id, limit)

    def nearest_sheets(self, vector: Any, limit: int = 5, exclude: str | None = None) -> list[tuple[Sheet, float]]:
        return self.searcher().nearest_sheets(vector, limit, exclude)

    def stats(self) -> dict[str, Any]:
        store = self.store
        return {
            "index_dir": str(self.index_dir),
            "schema_version": store.schema_version,
            "sheets": store.count(),
            "sheets_all_statuses": store.count(None),
            "parts": len(store.parts()),
            "model": self.encoder.model_id,
            "vectors": store.vector_count(self.encoder.model_id),
            "vectors_version": store.vectors_version,
            "database_bytes": _size(Path(store.path)),
        }


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0
