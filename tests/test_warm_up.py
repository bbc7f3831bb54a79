"""Start-up: the app is built ready (the default model loads in milliseconds), and a model that
cannot be loaded leaves keyword search working, with French 503s for what needs the model."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from tests.helpers import CountingEncoder


def _built(tmp_path: Path, practices_copy: Path) -> Path:
    builder = KnowledgeBase(tmp_path / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    builder.import_practices(practices_copy)
    builder.update_vectors()
    builder.close()
    return tmp_path / "index"


def test_the_app_is_built_ready(kb: KnowledgeBase) -> None:
    from web import create_app

    app = create_app({"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests"})
    assert app.extensions["recueil"].ready
    data = app.test_client().get("/api/search?q=publics féminins").get_json()
    assert data["mode"] == "hybrid"
    assert data["hits"][0]["id"] == "creativ-dijon-demarche-territoriale"


def test_a_model_that_fails_to_load_leaves_keyword_search_working(tmp_path: Path, practices_copy: Path) -> None:
    from web import create_app

    index = _built(tmp_path, practices_copy)
    kb = KnowledgeBase(index, model=str(tmp_path / "no-such-model"))
    app = create_app({"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests"})
    state = app.extensions["recueil"]
    assert not state.ready and "no-such-model" in (state.model_error or "")
    client = app.test_client()
    response = client.get("/api/search?q=économie circulaire")
    assert response.status_code == 200 and response.get_json()["mode"] == "keyword"
    assert response.get_json()["hits"]
    page = client.get("/?q=économie+circulaire").get_data(as_text=True)
    assert "La recherche par le sens est momentanément indisponible" in page
    assert client.get("/fiches/creativ-dijon-demarche-territoriale").status_code == 200  # without similar sheets
    similar = client.get("/api/practices/creativ-dijon-demarche-territoriale/similar")
    assert similar.status_code == 503 and "mots-clés reste disponible" in similar.get_json()["error"]["message"]
    kb.close()


def test_kb_serve_refuses_a_model_it_cannot_load(tmp_path: Path, practices_copy: Path) -> None:
    index = _built(tmp_path, practices_copy)
    result = CliRunner().invoke(
        main, ["serve", "--index-dir", str(index)], env={"KB_MODEL": str(tmp_path / "no-such-model")}
    )
    assert result.exit_code == 1
    assert "cannot load the embedding model" in result.output and "Traceback" not in result.output
