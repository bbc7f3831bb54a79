"""The FAISS index over part vectors, persisted atomically with a manifest.

Ids are the store's part ids, so a vector found here maps straight back to its sheet. The index
is a cache of the store: ``load`` refuses a file that is damaged or made by another model, and the
caller rebuilds it from the store's vectors, without re-encoding anything.

Two kinds, chosen by size when the index is built:
- up to ``IVF_THRESHOLD`` vectors, exact inner-product search (``IDMap2,Flat``);
- above, an inverted file with 8-bit scalar quantisation (``IVF,SQ8``): a quarter of the memory.
  ``nprobe`` is set from the list count; ``benchmarks/bench_scale.py`` measures its recall@10
  against exact search.

A saved index is memory-mapped read-only; updates stay incremental all the same, as a small delta
and tombstones beside it (HNSW was not chosen: it cannot remove).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import BinaryIO

import faiss
import numpy as np

from kb.files import write_atomic

INDEX_FILE = "vectors.faiss"
MANIFEST_FILE = "manifest.json"
IVF_THRESHOLD = 50_000
FLAT = "IDMap2,Flat(inner product)"


@dataclass(frozen=True)
class Manifest:
    model: str
    dim: int
    count: int
    vectors_version: int
    index_type: str = FLAT
    sha256: str = ""


class IndexMismatch(RuntimeError):
    """The index files on disk are missing, damaged or were built for another model."""


def ivf_lists(count: int) -> int:
    """Inverted lists for ``count`` vectors: about their square root (55,000 vectors: 234 lists)."""
    return max(16, min(65_536, int(math.sqrt(count))))


def default_nprobe(nlist: int) -> int:
    """Lists visited per query: an eighth of them, at least 24. On the 10,000-sheet synthetic
    corpus (234 lists) recall@10 against exact search was 0.970 at 16, 0.982 at 24-32, and stays
    at 0.983 beyond (the 8-bit quantisation's limit)."""
    return max(24, nlist // 8)


class VectorIndex:
    """Inner-product search over L2-normalised vectors (cosine similarity).

    A base FAISS index plus the changes made since it was written: added vectors in a small exact
    index (the delta), removed base ids as tombstones. A base loaded from disk is memory-mapped
    read-only, so every process serving the same file (each gunicorn worker) shares its pages
    instead of holding a copy; ``save`` folds the changes into a new file and maps that.
    """

    def __init__(self, base: faiss.Index, file: BinaryIO | None = None) -> None:
        self._use_base(base, file)

    def _use_base(self, base: faiss.Index, file: BinaryIO | None) -> None:
        """Start from ``base`` with no changes. ``file`` is the open file a mapped base reads: it
        keeps this very file readable even after another process replaces it on disk."""
        self.base = base
        self._file = file
        self.base_ids = np.sort(_stored_ids(base))
        self.delta = faiss.IndexIDMap2(faiss.IndexFlatIP(base.d))
        self._tombstones: set[int] = set()
        self._live_base: faiss.IDSelector | None = None  # selector of the base ids not removed

    @classmethod
    def ivf(cls, ids: np.ndarray, matrix: np.ndarray, nlist: int | None = None) -> VectorIndex:
        """An IVF-SQ8 index trained on (a sample of) these vectors, holding them."""
        dim = matrix.shape[1]
        nlist = nlist or ivf_lists(len(matrix))
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        sample = matrix[np.random.default_rng(0).permutation(len(matrix))[: nlist * 40]]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.nprobe = default_nprobe(nlist)
        _add(index, ids, matrix)
        return cls(index)

    @classmethod
    def from_vectors(cls, ids: np.ndarray, matrix: np.ndarray, dim: int, threshold: int | None = None) -> VectorIndex:
        limit = IVF_THRESHOLD if threshold is None else threshold
        if len(ids) > limit:
            return cls.ivf(ids, matrix)
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        _add(index, ids, matrix)
        return cls(index)

    @property
    def dim(self) -> int:
        return int(self.base.d)

    @property
    def kind(self) -> str:
        if isinstance(self.base, faiss.IndexIVF):
            return f"IVF{self.base.nlist},SQ8(inner product),nprobe={self.base.nprobe}"
        return FLAT

    @property
    def mapped(self) -> bool:
        return self._file is not None

    def __len__(self) -> int:
        return len(self.base_ids) - len(self._tombstones) + int(self.delta.ntotal)

    def _in_base(self, ids: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.base_ids, ids)
        return (at < len(self.base_ids)) & (self.base_ids[np.minimum(at, len(self.base_ids) - 1)] == ids)

    def ids(self) -> np.ndarray:
        """The live ids, sorted."""
        base = self.base_ids
        if self._tombstones:
            base = base[~np.isin(base, np.fromiter(self._tombstones, dtype=np.int64))]
        return np.sort(np.concatenate([base, faiss.vector_to_array(self.delta.id_map)]))

    def add(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        """Add (or replace) vectors by id: they go to the delta."""
        ids = np.asarray(ids, dtype=np.int64)
        self.remove(ids)
        _add(self.delta, ids, matrix)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        self.delta.remove_ids(ids)
        gone = {int(i) for i in ids[self._in_base(ids)]} - self._tombstones
        if gone:
            self._tombstones |= gone
            self._live_base = None

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None, nprobe: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest vectors, optionally only among ``allowed_ids``."""
        k = min(k, len(self))
        if k <= 0 or (allowed_ids is not None and len(allowed_ids) == 0):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        allowed = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64)) if allowed_ids is not None else None
        live = self._live_selector()
        both = faiss.IDSelectorAnd(allowed, live) if allowed is not None and live is not None else None
        scores, ids = _search(self.base, query, k, both or allowed or live, nprobe)
        if self.delta.ntotal:
            more_scores, more_ids = _search(self.delta, query, k, allowed, None)
            scores, ids = np.concatenate([scores, more_scores]), np.concatenate([ids, more_ids])
            best = np.argsort(-scores, kind="stable")[:k]
            scores, ids = scores[best], ids[best]
        return scores, ids

    def _live_selector(self) -> faiss.IDSelector | None:
        if self._tombstones and self._live_base is None:
            removed = faiss.IDSelectorBatch(np.fromiter(self._tombstones, dtype=np.int64))
            self._live_base = faiss.IDSelectorNot(removed)
            self._live_base.referenced = removed  # the C++ object points to it: keep it alive
        return self._live_base

    def _folded(self) -> faiss.Index:
        """The base with the changes applied: a new in-memory index (the base is never changed, so
        this may run beside searches), or the in-memory base itself when there is no change."""
        added = faiss.vector_to_array(self.delta.id_map)
        gone = np.concatenate([np.fromiter(self._tombstones, dtype=np.int64, count=len(self._tombstones)), added])
        if self._file is None and not len(gone):
            return self.base
        index = faiss.read_index(_path_of(self._file)) if self._file is not None else faiss.clone_index(self.base)
        if len(gone):
            index.remove_ids(gone)
        _add(index, added, self.delta.index.reconstruct_n(0, self.delta.ntotal))
        return index

    def detached(self) -> VectorIndex:
        """A copy to save from another thread: the same base, its own delta and tombstones."""
        copy = VectorIndex.__new__(VectorIndex)
        copy.base, copy._file, copy.base_ids = self.base, self._file, self.base_ids
        copy.delta = faiss.clone_index(self.delta)
        copy._tombstones, copy._live_base = set(self._tombstones), None
        return copy

    def _write_folded(self, path: Path) -> str:
        """Write the folded index atomically, streamed (no serialised copy in memory); its sha256."""
        index, digest = self._folded(), hashlib.sha256()

        def write(file: BinaryIO) -> None:
            def chunk(data: bytes) -> int:
                file.write(data)
                digest.update(data)
                return len(data)

            faiss.write_index(index, faiss.PyCallbackIOWriter(chunk))

        write_atomic(path, write)
        return digest.hexdigest()

    def save(self, directory: str | os.PathLike[str], manifest: Manifest, remap: bool = True) -> None:
        """Write index then manifest, each atomically, then (``remap``) map the new file.

        A reader sees the old pair or the new one, and a crash between the two leaves a checksum
        that no longer matches, hence a rebuild."""
        directory = Path(directory)
        sha256 = self._write_folded(directory / INDEX_FILE)
        manifest = replace(manifest, index_type=self.kind, sha256=sha256)
        write_atomic(directory / MANIFEST_FILE, json.dumps(asdict(manifest), indent=2).encode("utf-8"))
        if remap:
            self._use_base(*_open_mapped(directory / INDEX_FILE))

    @classmethod
    def load(cls, directory: str | os.PathLike[str], model: str, dim: int) -> tuple[VectorIndex, Manifest]:
        """The saved index (memory-mapped) and its manifest, if they are whole and made by this model.

        A writer replaces the index file, then the manifest: a reader between the two sees a
        checksum that differs, and reads the pair again."""
        directory = Path(directory)
        for attempt in range(3):
            found = read_manifest(directory)
            if (found.model, found.dim) != (model, dim):
                raise IndexMismatch(
                    f"index built with {found.model} ({found.dim} dims), the store needs {model} ({dim})"
                )
            try:
                index, file = _open_mapped(directory / INDEX_FILE, found.sha256)
                break
            except ChecksumMismatch:
                if attempt == 2:
                    raise
                time.sleep(0.1)
            except (OSError, RuntimeError) as exc:
                raise IndexMismatch(f"index file missing or damaged ({exc})") from None
        if index.ntotal != found.count or index.d != dim:
            raise IndexMismatch("index file does not match its manifest")
        return cls(index, file), found


def read_manifest(directory: Path) -> Manifest:
    try:
        return Manifest(**json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexMismatch(f"manifest missing or unreadable ({exc})") from None


class ChecksumMismatch(IndexMismatch):
    """The index file is not the one its manifest describes."""


def _path_of(file: BinaryIO) -> str:
    """A path to this open file itself, whatever has replaced its name since."""
    return f"/dev/fd/{file.fileno()}"


def _open_mapped(path: Path, sha256: str | None = None) -> tuple[faiss.Index, BinaryIO]:
    """Open an index file (checking its checksum) and read it with its vectors memory-mapped,
    not copied. The header tells the kind: IVF lists are mapped by ``IO_FLAG_MMAP``, flat codes
    by ``IO_FLAG_MMAP_IFC``."""
    file = path.open("rb")
    try:
        if sha256 is not None and hashlib.file_digest(file, "sha256").hexdigest() != sha256:
            raise ChecksumMismatch("index file damaged or replaced (checksum differs from the manifest)")
        file.seek(0)
        ivf = file.read(4) in (b"IwSq", b"IwSQ")  # IndexIVFScalarQuantizer (the one IVF kind built here)
        index = faiss.read_index(_path_of(file), faiss.IO_FLAG_MMAP if ivf else faiss.IO_FLAG_MMAP_IFC)
    except BaseException:
        file.close()
        raise
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = default_nprobe(index.nlist)
    return index, file


def _stored_ids(index: faiss.Index) -> np.ndarray:
    if isinstance(index, faiss.IndexIVF):
        lists = index.invlists
        return np.concatenate(
            [np.zeros(0, dtype=np.int64)]
            + [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy() for i in range(index.nlist)]
        )
    return faiss.vector_to_array(index.id_map).astype(np.int64)


def _add(index: faiss.Index, ids: np.ndarray, matrix: np.ndarray) -> None:
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(matrix, dtype=np.float32), np.asarray(ids, dtype=np.int64))


@contextmanager
def _single_thread() -> Iterator[None]:
    """One query gains nothing from FAISS's OpenMP threads, and beside the encoder's threads it
    waits for them: measured on two busy cores, 0.06 ms alone against up to 0.7 ms with two. The
    setting is per calling thread in OpenMP, and restored for the thread's batch work (builds)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _search(
    index: faiss.Index, query: np.ndarray, k: int, selector: faiss.IDSelector | None, nprobe: int | None
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(index, faiss.IndexIVF):
        params = faiss.SearchParametersIVF(nprobe=nprobe or index.nprobe)
        if selector is not None:
            params.sel = selector
    else:
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
    with _single_thread():
        scores, ids = index.search(query, k, params=params)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
