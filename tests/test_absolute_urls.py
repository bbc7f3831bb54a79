"""Absolute URLs never reflect an untrusted Host header (canonical link, permalink, private link, API)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from kb.knowledge_base import KnowledgeBase
from tests.test_web_contributions import BASE
from web.urls import BaseUrlError

EVIL = "evil.example"


def absolute_links(app: Flask, host: str) -> list[str]:
    """Every absolute URL the site builds, as seen by a client sending ``Host: host``."""
    client = app.test_client()
    headers = {"Host": host}
    sheet_id = app.extensions["recueil"].kb.store.sheet_ids()[0]
    page = client.get(f"/fiches/{sheet_id}", headers=headers).get_data(as_text=True)
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', page)
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        client.get("/contribuer", headers=headers).get_data(as_text=True),
    )
    assert canonical and token
    sent = client.post("/contribuer", headers=headers, data={**BASE, "action": "envoyer", "csrf_token": token.group(1)})
    receipt = client.get(sent.headers["Location"], headers=headers).get_data(as_text=True)
    private = re.search(r'href="([^"]*/contribuer/suivi/[^"]+)"', receipt)
    assert private
    server = client.get("/api/openapi.json", headers=headers).json["servers"][0]["url"]
    return [canonical.group(1), private.group(1), server]


@pytest.fixture
def make_app(writable_kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    from web import create_app

    return lambda **config: create_app(
        {"KNOWLEDGE_BASE": writable_kb, "TESTING": True, "SECRET_KEY": "tests", **config}
    )


def test_an_untrusted_host_is_never_reflected(make_app) -> None:  # type: ignore[no-untyped-def]
    links = absolute_links(make_app(), EVIL)
    assert not any(EVIL in link for link in links), links
    assert links[0].startswith("/fiches/") and links[1].startswith("/contribuer/suivi/") and links[2] == "/"


def test_local_hosts_on_any_port_are_trusted(make_app) -> None:  # type: ignore[no-untyped-def]
    links = absolute_links(make_app(), "127.0.0.1:5103")
    assert links[0].startswith("http://127.0.0.1:5103/fiches/") and links[2] == "http://127.0.0.1:5103"


def test_the_configured_base_url_wins_over_any_host(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RECUEIL_BASE_URL", "https://recueil.example.org/base/")
    links = absolute_links(make_app(), EVIL)
    assert links[0].startswith("https://recueil.example.org/base/fiches/")
    assert links[1].startswith("https://recueil.example.org/base/contribuer/suivi/")
    assert links[2] == "https://recueil.example.org/base"
    monkeypatch.setenv("RECUEIL_BASE_URL", "javascript:alert(1)")
    with pytest.raises(BaseUrlError, match="RECUEIL_BASE_URL"):
        make_app()
