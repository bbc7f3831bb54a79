"""The FAISS index over part vectors, persisted atomically with a manifest.

Ids are the store's part ids, so a vector found here maps straight back to its sheet. The index
is a cache of the store: ``load`` refuses a file that is damaged or made by another model, and the
caller rebuilds it from the store's vectors, without re-encoding anything.

Two kinds, chosen by size when the index is built:
- up to ``IVF_THRESHOLD`` vectors, exact inner-product search (``IDMap2,Flat``);
- above, an inverted file with 8-bit scalar quantisation (``IVF,SQ8``): a quarter of the memory,
  and like the exact index it takes additions and removals by id, so updates stay incremental
  (HNSW cannot remove). ``nprobe`` is set from the list count; ``benchmarks/bench_scale.py``
  measures its recall@10 against exact search.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import faiss
import numpy as np

from kb.markdown_io import write_atomic

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


def _ivf_lists(count: int) -> int:
    return max(16, min(65_536, int(math.sqrt(count))))


def default_nprobe(nlist: int) -> int:
    """Lists visited per query: an eighth of them, at least 24. On the 10,000-sheet synthetic
    corpus (234 lists) recall@10 against exact search was 0.970 at 16, 0.982 at 24-32, and stays
    at 0.983 beyond (the 8-bit quantisation's limit)."""
    return max(24, nlist // 8)


class VectorIndex:
    """Inner-product search over L2-normalised vectors (cosine similarity)."""

    def __init__(self, index: faiss.Index) -> None:
        self.faiss = index

    @classmethod
    def flat(cls, dim: int) -> VectorIndex:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def ivf(cls, matrix: np.ndarray, nlist: int | None = None) -> VectorIndex:
        """An IVF-SQ8 index trained on (a sample of) these vectors."""
        dim = matrix.shape[1]
        nlist = nlist or _ivf_lists(len(matrix))
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        sample = matrix[np.random.default_rng(0).permutation(len(matrix))[: nlist * 40]]
        index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
        index.nprobe = default_nprobe(nlist)
        return cls(index)

    @classmethod
    def from_vectors(cls, ids: np.ndarray, matrix: np.ndarray, dim: int, threshold: int | None = None) -> VectorIndex:
        limit = IVF_THRESHOLD if threshold is None else threshold
        index = cls.ivf(matrix) if len(ids) > limit else cls.flat(dim)
        if len(ids):
            index.add(ids, matrix)
        return index

    @property
    def dim(self) -> int:
        return int(self.faiss.d)

    @property
    def kind(self) -> str:
        if isinstance(self.faiss, faiss.IndexIVF):
            return f"IVF{self.faiss.nlist},SQ8(inner product),nprobe={self.faiss.nprobe}"
        return FLAT

    def __len__(self) -> int:
        return int(self.faiss.ntotal)

    def add(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        self.faiss.add_with_ids(np.ascontiguousarray(matrix, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self.faiss.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None, nprobe: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest vectors, optionally only among ``allowed_ids``."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        selector = None
        if allowed_ids is not None:
            if len(allowed_ids) == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            selector = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
        if isinstance(self.faiss, faiss.IndexIVF):
            params = faiss.SearchParametersIVF(nprobe=nprobe or self.faiss.nprobe)
            if selector is not None:
                params.sel = selector
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self.faiss.search(query, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def reconstruct(self, part_id: int) -> np.ndarray:
        return self.faiss.reconstruct(int(part_id))

    def save(self, directory: str | os.PathLike[str], manifest: Manifest) -> None:
        """Write index then manifest, each atomically: a reader sees the old pair or the new one,
        and a crash between the two leaves a checksum that no longer matches, hence a rebuild."""
        directory = Path(directory)
        data = faiss.serialize_index(self.faiss).tobytes()
        write_atomic(directory / INDEX_FILE, data)
        manifest = replace(manifest, index_type=self.kind, sha256=hashlib.sha256(data).hexdigest())
        write_atomic(directory / MANIFEST_FILE, json.dumps(asdict(manifest), indent=2).encode("utf-8"))

    @classmethod
    def load(cls, directory: str | os.PathLike[str], model: str, dim: int) -> tuple[VectorIndex, Manifest]:
        """The saved index and its manifest, if they are whole and made by this model."""
        directory = Path(directory)
        try:
            found = Manifest(**json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatch(f"manifest missing or unreadable ({exc})") from None
        if (found.model, found.dim) != (model, dim):
            raise IndexMismatch(f"index built with {found.model} ({found.dim} dims), the store needs {model} ({dim})")
        try:
            raw = (directory / INDEX_FILE).read_bytes()
            if hashlib.sha256(raw).hexdigest() != found.sha256:
                raise IndexMismatch("index file damaged or replaced (checksum differs from the manifest)")
            index = faiss.deserialize_index(np.frombuffer(raw, dtype=np.uint8))
            del raw
        except (OSError, RuntimeError) as exc:
            raise IndexMismatch(f"index file missing or damaged ({exc})") from None
        if index.ntotal != found.count or index.d != dim:
            raise IndexMismatch("index file does not match its manifest")
        if isinstance(index, faiss.IndexIVF):
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
            index.nprobe = default_nprobe(index.nlist)
        return cls(index), found
