"""The FAISS index over part vectors, persisted atomically with a manifest.

Ids are the store's part ids, so a vector found here maps straight back to its sheet. The index
is a cache of the store: ``load`` refuses a file that does not match the manifest or the store's
state, and the caller rebuilds it from the store's vectors, without re-encoding anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import faiss
import numpy as np

from kb.markdown_io import write_atomic

INDEX_FILE = "vectors.faiss"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    model: str
    dim: int
    count: int
    vectors_version: int
    index_type: str = "IDMap2,Flat(inner product)"
    sha256: str = ""


class IndexMismatch(RuntimeError):
    """The index files on disk are missing, damaged or were built from another state or model."""


class VectorIndex:
    """Exact inner-product search over L2-normalised vectors (cosine similarity)."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.faiss = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def from_vectors(cls, ids: np.ndarray, matrix: np.ndarray, dim: int) -> VectorIndex:
        index = cls(dim)
        if len(ids):
            index.add(ids, matrix)
        return index

    def __len__(self) -> int:
        return int(self.faiss.ntotal)

    def add(self, ids: np.ndarray, matrix: np.ndarray) -> None:
        self.faiss.add_with_ids(np.ascontiguousarray(matrix, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self.faiss.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest vectors, optionally only among ``allowed_ids``."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed_ids is not None:
            if len(allowed_ids) == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64)))
        scores, ids = self.faiss.search(query, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def reconstruct(self, part_id: int) -> np.ndarray:
        return self.faiss.reconstruct(int(part_id))

    def save(self, directory: str | os.PathLike[str], manifest: Manifest) -> None:
        """Write index then manifest, each atomically: a reader sees the old pair or the new one,
        and a crash between the two leaves a manifest that no longer matches, hence a rebuild."""
        directory = Path(directory)
        data = faiss.serialize_index(self.faiss).tobytes()
        write_atomic(directory / INDEX_FILE, data)
        manifest = replace(manifest, sha256=hashlib.sha256(data).hexdigest())
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
        except (OSError, RuntimeError) as exc:
            raise IndexMismatch(f"index file missing or damaged ({exc})") from None
        if index.ntotal != found.count or index.d != dim:
            raise IndexMismatch("index file does not match its manifest")
        loaded = cls(dim)
        loaded.faiss = index
        return loaded, found
