"""Hostile input everywhere, each answered with a clear message and never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from kb.markdown_io import SheetError, load_directory, parse_sheet
from tests.helpers import PRACTICES

GOOD = (PRACTICES / "sdat-economie-circulaire-rives-de-saone.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("---\n!!python/object/apply:os.system ['echo pwned']\n---\n", "invalid YAML"),
        ("---\ntitle: &a [*a]\n---\n", "title must be text"),
        (
            "---\na: &a ['x','x']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n---\n",
            "unknown front matter key",
        ),
        (GOOD.replace("title: L'", "title: !!binary aGVsbG8=\n# L'"), "title must be text"),
        (GOOD.replace("## Perspectives", "## Perspectives\n\n## Perspectives"), "appears twice"),
        (GOOD.replace("region: Bourgogne-Franche-Comté", "region: [1, 2]"), "region must be text"),
        (
            GOOD.replace("speakers:\n- name: Gilles DRAVIGNY", "speakers:\n- nom: Gilles DRAVIGNY"),
            "speakers must be a list",
        ),
    ],
)
def test_dangerous_yaml_is_refused_with_a_reason(content: str, reason: str) -> None:
    with pytest.raises(SheetError) as info:
        parse_sheet(content, "fiche", "fiche.md")
    assert reason in str(info.value)


def test_a_10_mb_file_and_odd_names_are_reported(tmp_path: Path) -> None:
    (tmp_path / "enorme.md").write_bytes(b"---\ntitle: x\n---\n" + b"x" * 10_000_000)
    (tmp_path / "..%2Fetc.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "ok.md").write_text(GOOD, encoding="utf-8")
    report = load_directory(tmp_path)
    assert [s.id for s in report.sheets] == ["ok"]
    reasons = sorted(e.reason for e in report.errors)
    assert any("too large" in r for r in reasons) and any("invalid sheet id" in r for r in reasons)


def test_import_refuses_path_ids_and_duplicates(tmp_path: Path) -> None:
    sheet = json.loads(json.dumps({"id": "sdat", "title": "Titre", "sections": {}}))
    items = [sheet, {**sheet, "id": "../../etc/passwd"}, {**sheet, "id": "a/b"}, dict(sheet), "not a sheet", {"id": 3}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(path), "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert "1 added" in result.output
    assert "invalid sheet id '../../etc/passwd'" in result.output and "invalid sheet id 'a/b'" in result.output
    assert "duplicate id in this import" in result.output and "not a sheet" in result.output
    assert "Traceback" not in result.output


def test_cli_reports_unreadable_inputs_in_english(tmp_path: Path) -> None:
    runner = CliRunner()
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02")
    out = runner.invoke(main, ["import", str(binary), "--index-dir", str(tmp_path / "idx")])
    assert out.exit_code == 1 and "binary content" in out.output and "Traceback" not in out.output
    broken = tmp_path / "kb.sqlite"
    broken.write_bytes(b"garbage" * 1000)
    out = runner.invoke(main, ["stats", "--index-dir", str(tmp_path)])
    assert out.exit_code == 1 and "not a usable Recueil database" in out.output


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=st.text(max_size=300), page=st.integers(min_value=-(10**12), max_value=10**12))
def test_search_never_raises_for_any_string(kb: KnowledgeBase, query: str, page: int) -> None:
    for mode in ("hybrid", "keyword"):
        results = kb.search(query, limit=3, offset=page, mode=mode)  # type: ignore[arg-type]
        assert len(results.hits) <= 3 and results.total == len(results.ids) <= 11


@pytest.mark.parametrize(
    "url",
    [
        "/?q=%00%01",
        "/?q=" + "x" * 10_000,
        "/?q=%F0%9F%99%82",
        "/?q=%D7%A9%D7%9C%D7%95%D7%9D&region=%00",
        "/?q=a&theme=inconnu&theme=%3Cscript%3E",
        "/?page=-99999999999999999999",
        "/?page=1e9",
        "/fiches?tri=%27%3B+DROP+TABLE+sheets&ordre=x",
        "/fiches/..%2F..%2Fetc%2Fpasswd",
        "/fiches/%00",
        "/api/search?q=%22&year=abc",
        "/api/search?limit=99999999999999999999",
        "/api/practices/..%2Fx/similar",
        "/ateliers/planifier?sujet=%00&intervenants=1e99",
        "/contribuer/suivi/%27%20OR%201%3D1",
    ],
)
def test_hostile_urls_get_a_clear_answer(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400, 404), url
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "sqlite" not in text.lower()


def test_contributor_emails_never_leave_through_public_routes(writable_app) -> None:  # type: ignore[no-untyped-def]
    from kb import contributions
    from kb.sheet import SECTIONS, Sheet

    kb = writable_app.extensions["recueil"].kb
    sheet = Sheet(
        id="fiche-privee",
        title="Une fiche avec un contact",
        organisations=["X"],
        sections={**dict.fromkeys(SECTIONS, ""), "context": "Contexte."},
    )
    contributions.submit(kb, sheet, "Personne Privée", "personne.privee@example.org")
    contributions.publish(kb, "fiche-privee", "alice")
    client = writable_app.test_client()
    for url in (
        "/fiches/fiche-privee",
        "/fiches/fiche-privee.json",
        "/fiches/fiche-privee.md",
        "/api/practices",
        "/api/practices/fiche-privee",
        "/api/search?q=contact",
        "/?q=contact",
        "/recueil",
        "/ateliers",
        "/api/facets?q=contact",
        "/fiches",
    ):
        text = client.get(url).get_data(as_text=True)
        assert "personne.privee@example.org" not in text and "Personne Privée" not in text, url


def test_weak_secret_keys_are_refused_outside_tests(kb: KnowledgeBase) -> None:
    from web import ConfigurationError, create_app

    for key in ("dev", "changeme", "short"):
        with pytest.raises(ConfigurationError, match="RECUEIL_SECRET_KEY"):
            create_app({"KNOWLEDGE_BASE": kb, "SECRET_KEY": key})
    assert create_app({"KNOWLEDGE_BASE": kb, "SECRET_KEY": "k" * 40}).config["SECRET_KEY"] == "k" * 40


def test_session_cookie_flags(writable_app) -> None:  # type: ignore[no-untyped-def]
    client = writable_app.test_client()
    cookies = client.get("/contribuer").headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    writable_app.config["SESSION_COOKIE_SECURE"] = True
    cookies = writable_app.test_client().get("/contribuer").headers.getlist("Set-Cookie")
    assert "Secure" in next(c for c in cookies if c.startswith("session="))


def test_search_is_rate_limited(writable_app) -> None:  # type: ignore[no-untyped-def]
    from web.extensions import limiter

    writable_app.config["SEARCH_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    client = writable_app.test_client()
    codes = [client.get("/api/search?q=jeunes").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/search?q=jeunes").json["error"]["message"].startswith("Trop de demandes")
