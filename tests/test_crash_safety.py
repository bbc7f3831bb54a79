"""kill -9 at random moments during a build, a publish and an export; backup and restore.

After each kill: the database passes SQLite's integrity check, nothing published is lost, the
index agrees with the database when the knowledge base is opened again, and the next build
finishes the job. Kill moments are random but seeded, so a failure can be replayed.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kb import contributions
from kb.knowledge_base import KnowledgeBase
from kb.sheet import SECTIONS, Sheet
from tests.helpers import PRACTICES, ROOT, CountingEncoder

pytestmark = pytest.mark.slow
KB = [sys.executable, "-m", "kb"]


def kb_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the ``kb`` CLI to its end, its output captured."""
    return subprocess.run([*KB, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def integrity(folder: Path) -> str:
    conn = sqlite3.connect(folder / "kb.sqlite")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def index_agrees(kb: KnowledgeBase) -> None:
    """The FAISS index holds exactly the published parts' vectors of the database."""
    ids, _ = kb.store.vectors(kb.encoder.model_id)
    index = kb.current_index()
    assert len(index) == len(ids)
    assert index.ids().tolist() == sorted(ids.tolist())


def kill_when(process: subprocess.Popen, marker: str, delay: float) -> None:
    """Read the process's output until ``marker``, wait ``delay`` seconds, then SIGKILL it."""
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            break
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_during_build_then_build_again(tmp_path: Path, seed: int) -> None:
    folder = tmp_path / "index"
    delay = random.Random(seed).uniform(0.0, 4.0)
    process = subprocess.Popen(
        [*KB, "build", str(PRACTICES), "--index-dir", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    kill_when(process, "sheets:", delay)  # killed while encoding (or just after)
    assert integrity(folder) == "ok"
    done = kb_cli("build", str(PRACTICES), "--index-dir", str(folder))
    assert done.returncode == 0, done.stderr
    kb = KnowledgeBase(folder)
    assert kb.store.count() == 11 and not kb.store.parts_missing_vectors(kb.encoder.model_id)
    index_agrees(kb)
    assert (
        kb.search("nettoyage de chantiers par des jeunes", limit=1).hits[0].sheet.id
        == "tapaj-c3b-nettoyage-chantiers-jeunes"
    )
    kb.close()


PUBLISHER = """
import sys
from kb import contributions
from kb.knowledge_base import KnowledgeBase
from kb.sheet import SECTIONS, Sheet
from tests.helpers import CountingEncoder
kb = KnowledgeBase(sys.argv[1], encoder=CountingEncoder())
print("ready", flush=True)
for n in range(10_000):
    sections = {**dict.fromkeys(SECTIONS, ""), "context": f"Texte {n}."}
    sheet = Sheet(id=f"crash-{n}", title=f"Fiche {n}", sections=sections)
    contributions.submit(kb, sheet, "A", "a@example.org")
    contributions.publish(kb, sheet.id, "alice")
    print(f"published crash-{n}", flush=True)
"""


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_kill_during_publishing_loses_nothing(tmp_path: Path, practices_copy: Path, seed: int) -> None:
    folder = tmp_path / "index"
    kb = KnowledgeBase(folder, encoder=CountingEncoder())  # type: ignore[arg-type]
    kb.import_practices(practices_copy)
    kb.update_vectors()
    kb.close()
    process = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    published = []
    deadline = random.Random(seed).uniform(0.5, 3.0)
    started = None
    for line in process.stdout:
        if line.startswith("ready"):
            started = time.monotonic()
        elif line.startswith("published "):
            published.append(line.split()[1])
        if started and time.monotonic() - started > deadline:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert published, "the publisher made no progress"
    assert integrity(folder) == "ok"
    again = KnowledgeBase(folder, encoder=CountingEncoder())  # type: ignore[arg-type]
    for sheet_id in published:
        record = again.store.record(sheet_id)
        assert record is not None and record.status == "published", sheet_id
    index_agrees(again)
    hits = {h.sheet.id for h in again.search(f"Fiche {published[-1].split('-')[1]}", limit=50, mode="keyword").hits}
    assert published[-1] in hits
    again.close()


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_kill_during_export_leaves_the_old_file_or_the_new_one(built_dir: Path, tmp_path: Path, seed: int) -> None:
    dest = tmp_path / "export.json"
    dest.write_text("previous export\n", encoding="utf-8")
    process = subprocess.Popen(
        [*KB, "export", str(dest), "--format", "json", "--index-dir", str(built_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(random.Random(seed).uniform(0.05, 1.5))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    text = dest.read_text(encoding="utf-8")
    assert text == "previous export\n" or len(json.loads(text)) == 11


def test_backup_while_writing_then_restore(writable_kb: KnowledgeBase, tmp_path: Path) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        n = 0
        while not stop.is_set():
            sheet = Sheet(
                id=f"pendant-{n}",
                title=f"Pendant la sauvegarde {n}",
                sections={**dict.fromkeys(SECTIONS, ""), "context": "Texte."},
            )
            try:
                contributions.submit(writable_kb, sheet, "A", "a@example.org")
            except BaseException as exc:
                errors.append(exc)
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.5)
    backup = tmp_path / "sauvegarde.sqlite"
    result = kb_cli("backup", str(backup), "--index-dir", str(writable_kb.index_dir), timeout=120)
    stop.set()
    thread.join()
    assert result.returncode == 0, result.stderr
    assert not errors
    restored = tmp_path / "restored"
    result = kb_cli("restore", str(backup), "--index-dir", str(restored))
    assert result.returncode == 0, result.stderr
    kb = KnowledgeBase(restored)
    assert kb.store.count() == 11
    assert (
        kb.search("réseau régional des facilitateurs", limit=1).hits[0].sheet.id
        == "agire-reseau-regional-facilitateurs"
    )
    kb.close()
    refused = kb_cli("restore", str(backup), "--index-dir", str(restored), timeout=120)
    assert refused.returncode == 1 and "use --force" in refused.stderr


def test_restore_over_a_base_in_use_keeps_it_consistent(writable_kb: KnowledgeBase, tmp_path: Path) -> None:
    """--force replaces a base another process has open (its write-ahead log holding changes):
    through SQLite's backup API, that process then reads the restored content, nothing half."""
    from kb.restore import RestoreError, restore

    backup = tmp_path / "sauvegarde.sqlite"
    writable_kb.store.backup(backup)
    sheet = Sheet(
        id="apres", title="Après la sauvegarde", sections={**dict.fromkeys(SECTIONS, ""), "context": "Texte."}
    )
    contributions.submit(writable_kb, sheet, "A", "a@example.org")
    assert writable_kb.store.count(None) == 12
    with pytest.raises(RestoreError, match="--force"):
        restore(backup, writable_kb.index_dir, force=False)
    assert restore(backup, writable_kb.index_dir, force=True)[0] == 11
    assert writable_kb.reader().count(None) == 11 and writable_kb.store.record("apres") is None
    assert writable_kb.store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_restored_base_is_a_new_corpus_version_for_running_searches(
    writable_kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Two bases can reach the same version number with different content: a process that kept
    the replaced base's facts under that number must not serve them for the restored one."""
    from kb.restore import restore
    from kb.store import Store

    first, second = writable_kb.store.sheet_ids()[:2]
    elsewhere = tmp_path / "ailleurs.sqlite"
    writable_kb.store.backup(elsewhere)
    other = Store(elsewhere)
    other.set_status(second, "pending")  # the other base: one change, to its own next version
    other.close()
    writable_kb.set_status(first, "pending")  # this base: one change too
    searched = writable_kb.search("clause sociale", limit=100).ids  # its facts kept at that version
    assert first not in searched and second in searched
    restore(elsewhere, writable_kb.index_dir, force=True)
    found = writable_kb.search("clause sociale", limit=100).ids
    assert first in found and second not in found
