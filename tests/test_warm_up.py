"""Serving at once after start: keyword answers while the model and the index load."""

from __future__ import annotations

import threading
from pathlib import Path

from kb.knowledge_base import KnowledgeBase
from tests.conftest import CountingEncoder


class LoadsSlowly(CountingEncoder):
    """An encoder whose model is not loaded until ``loaded`` is set, as when sentence-transformers
    is still being imported."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = threading.Event()

    @property  # type: ignore[override]
    def dim(self) -> int:
        assert self.loaded.wait(30), "the test never released the model"
        return self._dim

    @dim.setter
    def dim(self, value: int) -> None:
        self._dim = value


def test_the_app_answers_by_keywords_until_the_model_is_loaded(tmp_path: Path, practices_copy: Path) -> None:
    from web import create_app

    builder = KnowledgeBase(tmp_path / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    builder.import_practices(practices_copy)
    builder.update_vectors()
    builder.close()
    encoder = LoadsSlowly()
    kb = KnowledgeBase(tmp_path / "index", encoder=encoder)  # type: ignore[arg-type]
    app = create_app({"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests", "WARM_UP": "background"})
    client = app.test_client()
    state = app.extensions["recueil"]

    data = client.get("/api/search?q=publics féminins").get_json()
    assert not state.ready.is_set()
    assert data["mode"] == "keyword"
    assert data["hits"][0]["id"] == "creativ-dijon-demarche-territoriale"
    page = client.get("/?q=publics+féminins").get_data(as_text=True)
    assert "Le service démarre" in page and "creativ-dijon-demarche-territoriale" in page
    sheet = client.get("/fiches/creativ-dijon-demarche-territoriale")
    assert sheet.status_code == 200  # served without its similar sheets meanwhile

    encoder.loaded.set()
    assert state.ready.wait(30)
    data = client.get("/api/search?q=publics féminins").get_json()
    assert data["mode"] == "hybrid"  # (the test double's vectors have no meaning: no ranking asserted)
    assert "Le service démarre" not in client.get("/?q=publics+féminins").get_data(as_text=True)
    similar = client.get("/api/practices/creativ-dijon-demarche-territoriale/similar").get_json()["similar"]
    assert similar and all(s["id"] != "creativ-dijon-demarche-territoriale" for s in similar)
    kb.close()


def test_a_model_that_fails_to_load_leaves_keyword_search_working(tmp_path: Path, practices_copy: Path) -> None:
    from web import create_app

    builder = KnowledgeBase(tmp_path / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    builder.import_practices(practices_copy)
    builder.update_vectors()
    builder.close()
    kb = KnowledgeBase(tmp_path / "index", model=str(tmp_path / "no-such-model"))
    app = create_app({"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests", "WARM_UP": "background"})
    state = app.extensions["recueil"]
    response = app.test_client().get("/api/search?q=économie circulaire")
    assert response.status_code == 200 and response.get_json()["mode"] == "keyword"
    assert response.get_json()["hits"]
    assert not state.ready.wait(1)
    client = app.test_client()
    assert client.get("/fiches/creativ-dijon-demarche-territoriale").status_code == 200  # without similar sheets
    similar = client.get("/api/practices/creativ-dijon-demarche-territoriale/similar")
    assert similar.status_code == 503 and "mots-clés reste disponible" in similar.get_json()["error"]["message"]
    kb.close()
