"""One search budget per client across every route that encodes a query; the real client behind a proxy."""

from __future__ import annotations

import pytest
from flask import Flask

from kb.knowledge_base import KnowledgeBase


@pytest.fixture
def limited_app(writable_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def make(proxies: str = "0") -> Flask:
        from web import create_app
        from web.extensions import limiter

        monkeypatch.setenv("RECUEIL_TRUSTED_PROXIES", proxies)
        app = create_app(
            {"KNOWLEDGE_BASE": writable_kb, "TESTING": True, "SECRET_KEY": "tests", "SEARCH_RATE_LIMIT": "4 per minute"}
        )
        limiter.reset()
        return app

    return make


def test_every_query_route_spends_one_budget(limited_app) -> None:  # type: ignore[no-untyped-def]
    client = limited_app().test_client()
    sheet_id = client.get("/api/practices?limit=1").json["practices"][0]["id"]
    spending = ["/?q=insertion", "/api/search?q=jeunes", "/api/facets?q=femmes", "/ateliers/planifier?sujet=chantier"]
    assert [client.get(url).status_code for url in spending] == [200] * 4
    for url in [*spending, f"/api/practices/{sheet_id}/similar"]:
        assert client.get(url).status_code == 429, url
    assert client.get("/api/facets").status_code == 200  # browsing without query text encodes nothing
    assert client.get("/").status_code == 200


def test_behind_a_trusted_proxy_limits_key_on_the_real_client(limited_app) -> None:  # type: ignore[no-untyped-def]
    direct = limited_app().test_client()  # no proxy trusted: a forged header changes nothing
    codes = [direct.get("/api/search?q=x", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    proxied = limited_app("1").test_client()  # one proxy in front: each real client has its own budget
    first = [proxied.get("/api/search?q=x", headers={"X-Forwarded-For": "10.0.0.1"}).status_code for _ in range(5)]
    assert first == [200, 200, 200, 200, 429]
    assert proxied.get("/api/search?q=x", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200
