"""Imports and restore that cannot hurt: linear parsers, guarded reads, validated items, checked backups."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import files, importer
from kb.cli import main
from kb.restore import restore
from kb.sheet import SECTIONS
from kb.store import MIGRATIONS, SCHEMA_VERSION, Store
from kb.validation import MAX_FIELD, MAX_SECTION
from tests.helpers import PRACTICES, ROOT

GOOD = (PRACTICES / "sdat-economie-circulaire-rives-de-saone.md").read_text(encoding="utf-8")

PARSE_LINES = """
import sys
from kb.report_parser import parse_report
for line in sys.argv[1:]:
    width = 1_000_000
    parse_report("Compte rendu\\n" + line.replace("SPACES", " " * width) + "\\n- **Contexte** : x\\n", "r.txt")
"""


def test_report_patterns_are_linear_on_a_1_mb_line() -> None:
    """A quadratic pattern takes hours on these lines; a linear one, well under a second each."""
    lines = ["Atelier A) aSPACESb", "- **ContexteSPACESx", "le 1 SPACES x", "Atelier ASPACES"]
    done = subprocess.run(
        [sys.executable, "-c", PARSE_LINES, *lines], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def run_kb(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process with 1 GB of address space: an unbounded read fails there, not here."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30 * 4, 2**30 * 4))

    return subprocess.run(
        [sys.executable, "-m", "kb", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap_memory,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_imports_read_only_regular_files_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "fiches"
    folder.mkdir()
    (folder / "ok.md").write_text(GOOD, encoding="utf-8")
    (folder / "zero.md").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.md")
    (tmp_path / "ailleurs.md").write_text(GOOD, encoding="utf-8")
    (folder / "ailleurs.md").symlink_to(tmp_path / "ailleurs.md")
    (folder / "sous").mkdir()
    (folder / "sous" / "dedans.md").write_text(GOOD, encoding="utf-8")
    (folder / "dedans.md").symlink_to(folder / "sous" / "dedans.md")  # a link inside the folder is fine
    done = run_kb("import", str(folder), "--index-dir", str(tmp_path / "idx"))
    assert "2 added" in done.stdout, done.stdout + done.stderr
    assert "fifo.md: not a regular file" in done.stderr
    assert "zero.md: a link to /dev/zero, outside the imported folder" in done.stderr
    assert f"ailleurs.md: a link to {tmp_path / 'ailleurs.md'}, outside the imported folder" in done.stderr
    assert "Traceback" not in done.stderr
    for single in ("zero.md", "fifo.md"):  # one file named on the command line, format sniffed
        done = run_kb("import", str(folder / single), "--index-dir", str(tmp_path / "idx"))
        assert done.returncode == 1 and "not a regular file" in done.stderr and "Traceback" not in done.stderr
    for fmt in ("csv", "report", "json"):
        done = run_kb("import", str(folder / "zero.md"), "--format", fmt, "--index-dir", str(tmp_path / "idx"))
        assert done.returncode == 1 and "not a regular file" in done.stderr, fmt


def sheet_item(n: int, **fields: object) -> dict[str, object]:
    return {"id": f"fiche-{n}", "title": f"Fiche {n}", "sections": {"context": "Un contexte."}, **fields}


def import_json(tmp_path: Path, payload: str, *options: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "export.json"
    path.write_text(payload, encoding="utf-8")
    return CliRunner().invoke(main, ["import", str(path), "--index-dir", str(tmp_path / "idx"), *options])


def stored_ids(tmp_path: Path) -> list[str]:
    store = Store(tmp_path / "idx" / "kb.sqlite")
    try:
        return store.sheet_ids(status=None)
    finally:
        store.close()


def test_json_import_validates_every_item_before_writing(tmp_path: Path) -> None:
    deep = import_json(tmp_path, "[" * 200_000 + "]" * 200_000)
    assert deep.exit_code == 1 and "nested too deeply" in deep.output and "Traceback" not in deep.output
    items = [
        sheet_item(1),
        sheet_item(2, source={"url": "x"}),
        sheet_item(3, organisations=[1, None, {"a": 1}]),
        sheet_item(4, title="Titre\x00 avec\x1b[2J NUL\u202e et ESC"),
        sheet_item(5, speakers=[{"name": "A", "role": ["x"]}]),
        [1, 2],
        sheet_item(6, sections={"context": {"text": "x"}}),
    ]
    result = import_json(tmp_path, json.dumps(items))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "2 added" in result.output and "5 failed" in result.output
    for n, field in ((2, "'source'"), (3, "'organisations'"), (5, "'speakers'"), (7, "every section")):
        assert f"export.json[{n}]: not a sheet: {field}" in result.output
    assert "export.json[6]: not a sheet: an item is an object, not a list" in result.output
    assert stored_ids(tmp_path) == ["fiche-1", "fiche-4"]
    store = Store(tmp_path / "idx" / "kb.sqlite")
    assert store.record("fiche-4").sheet.title == "Titre avec[2J NUL et ESC"  # type: ignore[union-attr]
    store.close()


def test_a_file_that_cannot_be_parsed_writes_nothing(tmp_path: Path) -> None:
    result = import_json(tmp_path, json.dumps([sheet_item(1)])[:-1])
    assert result.exit_code == 1 and "not a JSON export" in result.output
    assert stored_ids(tmp_path) == []


def test_json_size_limit_and_pending_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = json.dumps([sheet_item(n) for n in range(5)])
    monkeypatch.setitem(files.LIMITS, "json", len(payload) - 1)
    too_big = import_json(tmp_path, payload)
    assert too_big.exit_code == 1 and "file too large" in too_big.output
    monkeypatch.setitem(files.LIMITS, "json", len(payload))
    monkeypatch.setattr(importer, "PENDING_CAP", 4)
    capped = import_json(tmp_path, payload)
    assert capped.exit_code == 1 and "would add 5 new sheets, over the cap of 4" in capped.output
    assert stored_ids(tmp_path) == []
    forced = import_json(tmp_path, payload, "--force")
    assert forced.exit_code == 0 and "5 added" in forced.output


def test_the_json_limit_fits_a_full_export_of_large_sheets() -> None:
    """Every part at its maximum length: the documented limit still holds thousands of sheets."""
    full = sheet_item(1, sections={key: "é" * MAX_SECTION for key in SECTIONS}, title="t" * MAX_FIELD)
    per_sheet = len(json.dumps(full, ensure_ascii=False, indent=2).encode("utf-8"))
    assert files.LIMITS["json"] // per_sheet >= 500


def backup_with(built_dir: Path, tmp_path: Path, *statements: str) -> Path:
    backup = tmp_path / "sauvegarde.sqlite"
    store = Store(built_dir / "kb.sqlite", readonly=True)
    store.backup(backup)
    store.close()
    conn = sqlite3.connect(backup)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return backup


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (
            "CREATE TRIGGER leak AFTER INSERT ON submissions BEGIN "
            "UPDATE sheets SET title = NEW.contact_email WHERE status = 'published'; END",
            "unexpected trigger 'leak'",
        ),
        ("CREATE VIEW contacts AS SELECT contact_email FROM submissions", "unexpected view 'contacts'"),
        ("CREATE TABLE sqliteX (a)", "unexpected table 'sqliteX'"),
        ("DROP INDEX sheets_id_status", "missing or changed index 'sheets_id_status'"),
        ("ALTER TABLE users ADD COLUMN note TEXT", "table 'users'"),
    ],
)
def test_restore_refuses_a_backup_whose_schema_was_changed(
    built_dir: Path, tmp_path: Path, statement: str, reason: str
) -> None:
    backup = backup_with(built_dir, tmp_path, statement)
    done = CliRunner().invoke(main, ["restore", str(backup), "--index-dir", str(tmp_path / "idx")])
    assert done.exit_code == 1 and "is not a Recueil backup: its schema is not Recueil's" in done.output
    assert reason in done.output and not (tmp_path / "idx" / "kb.sqlite").exists()


def test_restore_migrates_a_backup_of_an_older_version(tmp_path: Path) -> None:
    old = tmp_path / "ancienne.sqlite"
    conn = sqlite3.connect(old)
    for migration in MIGRATIONS[:-1]:
        migration(conn)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    conn.commit()
    conn.close()
    assert restore(old, tmp_path / "idx", force=False) == (0, 0)  # an empty base, migrated
    store = Store(tmp_path / "idx" / "kb.sqlite", readonly=True)
    assert store.schema_version == SCHEMA_VERSION
    store.close()


def test_a_damaged_index_is_rebuilt_and_said_so(built_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    shutil.copytree(built_dir, folder)
    (folder / "vectors.faiss").write_bytes(b"not an index" * 100)
    done = run_kb("search", "insertion", "--index-dir", str(folder))
    assert done.returncode == 0 and "1. " in done.stdout
    assert f"WARNING: the index in {folder} was unusable" in done.stderr
    assert "rebuilt from the" in done.stderr and "nothing re-encoded" in done.stderr
    again = run_kb("search", "insertion", "--index-dir", str(folder))
    assert "WARNING" not in again.stderr  # the rebuilt index was saved: nothing more to say
