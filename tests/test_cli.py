"""The kb command line, run through click's runner against the built knowledge base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.markdown_io import load_directory
from kb.passages import indexed_parts
from tests.helpers import DEV_QUERIES, PRACTICES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def test_search_prints_ranked_sheets_with_the_matching_part(runner: CliRunner, built_dir: Path) -> None:
    result = invoke(runner, "search", "mobiliser les publics féminins", "--index-dir", str(built_dir), "--limit", "3")
    assert result.exit_code == 0
    assert "1. La démarche du territoire de Dijon" in result.output
    assert "Titre:" in result.output or "Actions menées:" in result.output


def test_search_json_and_filters(runner: CliRunner, built_dir: Path) -> None:
    result = invoke(
        runner, "search", "insertion", "--json", "--theme", "economie-circulaire", "--index-dir", str(built_dir)
    )
    data = json.loads(result.output)
    assert data["total"] == 3
    for hit in data["hits"]:
        assert {"id", "title", "score", "section", "snippet", "organisations", "region"} <= set(hit)


def test_search_batch_mode_reads_stdin(runner: CliRunner, built_dir: Path) -> None:
    result = invoke(
        runner,
        "search",
        "-",
        "--limit",
        "1",
        "--index-dir",
        str(built_dir),
        input="intellectual services contracts\nnettoyage de chantiers par des jeunes\n",
    )
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["hits"][0]["id"] for line in lines] == [
        "creativ21-vnf-prestations-intellectuelles",
        "tapaj-c3b-nettoyage-chantiers-jeunes",
    ]


def test_show_similar_stats(runner: CliRunner, built_dir: Path) -> None:
    shown = invoke(runner, "show", "anar-usine-de-tri-sieen", "--index-dir", str(built_dir))
    assert shown.output.startswith("---\ntitle:") and "## Contexte" in shown.output
    as_json = json.loads(
        invoke(runner, "show", "anar-usine-de-tri-sieen", "--json", "--index-dir", str(built_dir)).output
    )
    assert as_json["id"] == "anar-usine-de-tri-sieen" and as_json["sections"]["context"]
    similar = invoke(runner, "similar", "anar-usine-de-tri-sieen", "--limit", "2", "--index-dir", str(built_dir))
    assert len(similar.output.strip().splitlines()) == 2
    stats = invoke(runner, "stats", "--index-dir", str(built_dir))
    assert "sheets: 11" in stats.output and "vectors: " in stats.output


def test_unknown_sheet_and_missing_base_give_one_clear_line(runner: CliRunner, built_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(main, ["show", "nope", "--index-dir", str(built_dir)])
    assert result.exit_code == 1 and "no published sheet with id 'nope'" in result.output
    result = runner.invoke(main, ["search", "x", "--index-dir", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "run 'kb build' first" in result.output
    assert "Traceback" not in result.output


def test_index_dir_comes_from_the_environment(
    runner: CliRunner, built_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_INDEX_DIR", str(built_dir))
    assert "sheets: 11" in invoke(runner, "stats").output


def test_eval_compares_the_three_modes(runner: CliRunner, built_dir: Path) -> None:
    if not DEV_QUERIES.exists():
        pytest.skip("shared/eval not beside the checkout")
    result = invoke(runner, "eval", str(DEV_QUERIES), "--json", "--index-dir", str(built_dir))
    report = json.loads(result.output)
    assert set(report) == {"hybrid", "dense", "keyword"}
    assert set(report["hybrid"]) == {"all", "en", "fr"}
    assert report["hybrid"]["all"]["recall@3"] >= 0.95
    table = invoke(runner, "eval", str(DEV_QUERIES), "--index-dir", str(built_dir)).output
    assert table.splitlines()[0].split() == ["mode", "lang", "n", "R@1", "recall@3", "MRR", "nDCG@10", "strong1"]


def test_eval_reports_unanswered_queries_apart(runner: CliRunner, built_dir: Path, tmp_path: Path) -> None:
    unanswered = tmp_path / "unanswered.tsv"
    unanswered.write_text(
        "# no sheet answers them\nfr\tCDI inclusion seniors : conditions d'éligibilité\n", encoding="utf-8"
    )
    args = ["eval", "--unanswered", str(unanswered), "--modes", "keyword", "--index-dir", str(built_dir)]
    report = json.loads(invoke(runner, *args, "--json").output)
    assert report == {
        "keyword": {"unanswered_no_strong": {"all": {"queries": 1, "share": 1.0}, "fr": {"queries": 1, "share": 1.0}}}
    }
    assert "unanswered_no_strong all" in " ".join(invoke(runner, *args).output.split())


def test_eval_rejects_a_malformed_file(runner: CliRunner, built_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "q.tsv"
    bad.write_text("fr only-two-columns\n", encoding="utf-8")
    result = runner.invoke(main, ["eval", str(bad), "--index-dir", str(built_dir)])
    assert result.exit_code == 1 and "expected 'lang<TAB>query<TAB>markers'" in result.output


def test_build_reports_counts_and_failures(
    runner: CliRunner, tmp_path: Path, practices_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real build (real model) of a copy of the corpus with one broken file added."""
    (practices_copy / "cassee.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    result = runner.invoke(main, ["build", str(practices_copy), "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 1  # a failed file makes the exit code say so
    assert "sheets: 11 added, 0 updated, 0 unchanged, 0 removed, 1 failed, 0 conflicts" in result.output
    assert "cassee.md: invalid YAML front matter" in result.output
    passages = sum(len(indexed_parts(sheet)) for sheet in load_directory(PRACTICES).sheets)
    assert passages > 11 * 3 and f"vectors: {passages} encoded" in result.output  # parts and windows
    (practices_copy / "cassee.md").unlink()
    again = runner.invoke(main, ["build", str(practices_copy), "--index-dir", str(tmp_path / "idx")])
    assert again.exit_code == 0 and "11 unchanged" in again.output and "0 encoded" in again.output
    shutil.rmtree(tmp_path / "idx")


def test_cli_output_escapes_control_characters(runner: CliRunner, writable_kb) -> None:  # type: ignore[no-untyped-def]
    """Text stored before control characters were stripped on the way in never drives the terminal."""
    from kb.sheet import SECTIONS, Sheet

    hostile = "Titre \x1b]0;pwned\x07 \x1b[2J\u202eélbisiv"
    sheet = Sheet(id="fiche-terminal", title=hostile, sections={**dict.fromkeys(SECTIONS, ""), "context": hostile})
    writable_kb.store.save_sheet(sheet, status="published", origin="web")
    folder = ["--index-dir", str(writable_kb.index_dir)]
    outputs = [
        invoke(runner, "show", "fiche-terminal", *folder).output,
        invoke(runner, "show", "fiche-terminal", "--json", *folder).output,
        invoke(runner, "search", "pwned", "--mode", "keyword", *folder).output,
        invoke(runner, "search", "pwned", "--mode", "keyword", "--json", *folder).output,
    ]
    for output in outputs:
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
        assert "\\u001b]0;pwned\\u0007" in output
    assert json.loads(outputs[1])["title"] == hostile  # the JSON stays valid and exact


def test_user_add_creates_a_moderator_and_refuses_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    from kb.contributions import check_user
    from kb.store import Store

    index = ["--index-dir", str(tmp_path / "idx")]
    done = runner.invoke(main, ["user", "add", "alice", *index], input="un-secret-long\n" * 2)
    assert done.exit_code == 0 and "moderator 'alice' created" in done.output
    again = runner.invoke(main, ["user", "add", "alice", "--password", "un-autre-secret", *index])
    assert again.exit_code == 1 and "Error: a moderator named 'alice' exists already" in again.output
    short = runner.invoke(main, ["user", "add", "bob", "--password", "court", *index])
    assert short.exit_code == 1 and "at least 10 characters" in short.output and "Traceback" not in short.output
    store = Store(tmp_path / "idx" / "kb.sqlite")
    try:
        assert check_user(store, "alice", "un-secret-long") and not check_user(store, "bob", "court")
    finally:
        store.close()
