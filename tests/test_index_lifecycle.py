"""When encoding happens: only for parts that changed, never to rebuild the index, never mixed.

These tests use the counting test double (tests/conftest.py): they check which texts reach the
encoder and how vectors flow between SQLite and FAISS, which the real model would only slow down.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.knowledge_base import KnowledgeBase, NeedsBuild
from kb.vector_index import INDEX_FILE, MANIFEST_FILE
from tests.helpers import CountingEncoder, KbFactory


def _build(kb: KnowledgeBase, practices: Path) -> None:
    kb.import_practices(practices)
    kb.update_vectors()


def test_first_build_encodes_every_part_once(counting_kb: KnowledgeBase, practices_copy: Path) -> None:
    _build(counting_kb, practices_copy)
    parts = len(counting_kb.store.parts())
    assert len(counting_kb.encoder.encoded) == parts == len(counting_kb.current_index())
    manifest = json.loads((counting_kb.index_dir / MANIFEST_FILE).read_text())
    assert manifest["model"] == "test-double/hash-64" and manifest["dim"] == 64 and manifest["count"] == parts


def test_second_build_encodes_nothing(counting_kb: KnowledgeBase, practices_copy: Path) -> None:
    _build(counting_kb, practices_copy)
    counting_kb.encoder.encoded.clear()
    report = counting_kb.import_practices(practices_copy)
    assert len(report.unchanged) == 11 and not report.added
    assert counting_kb.update_vectors().encoded == 0
    assert counting_kb.encoder.encoded == []


def test_editing_one_part_reencodes_only_changed_passages(counting_kb: KnowledgeBase, practices_copy: Path) -> None:
    _build(counting_kb, practices_copy)
    counting_kb.encoder.encoded.clear()
    path = practices_copy / "tapaj-c3b-nettoyage-chantiers-jeunes.md"
    path.write_text(path.read_text().replace("renouvelée sur d'autres chantiers.", "renouvelée."), encoding="utf-8")
    report = counting_kb.import_practices(practices_copy)
    assert report.updated == ["tapaj-c3b-nettoyage-chantiers-jeunes"]
    counting_kb.update_vectors()
    encoded = counting_kb.encoder.encoded  # the part, and its sentence windows holding the change
    assert encoded and all("renouvelée." in text for text in encoded), encoded


def test_index_is_rebuilt_from_sqlite_without_encoding(tmp_path: Path, practices_copy: Path) -> None:
    first = KnowledgeBase(tmp_path / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    _build(first, practices_copy)
    expected = first.search("nettoyage", limit=3, mode="dense").hits
    first.close()
    for damage in ("delete", "truncate", "foreign"):
        index_file = tmp_path / "index" / INDEX_FILE
        if damage == "delete":
            index_file.unlink()
        elif damage == "truncate":
            index_file.write_bytes(index_file.read_bytes()[:100])
        else:
            index_file.write_bytes(b"\x00" * 4096)
        encoder = CountingEncoder()
        again = KnowledgeBase(tmp_path / "index", encoder=encoder)  # type: ignore[arg-type]
        hits = again.search("nettoyage", limit=3, mode="dense").hits
        assert [h.sheet.id for h in hits] == [h.sheet.id for h in expected], damage
        assert encoder.encoded == [], damage
        assert index_file.stat().st_size > 4096  # rewritten
        again.close()


def test_a_readonly_process_rebuilds_in_memory_without_writing(make_kb: KbFactory, practices_copy: Path) -> None:
    writer = make_kb(practices=practices_copy)
    writer.close()
    (writer.index_dir / MANIFEST_FILE).unlink()
    reader = make_kb(readonly=True)
    assert reader.search("jeunes", limit=1).hits
    assert not (writer.index_dir / MANIFEST_FILE).exists()


def test_a_different_model_never_mixes_vectors(tmp_path: Path, practices_copy: Path) -> None:
    folder = tmp_path / "index"
    first = KnowledgeBase(folder, encoder=CountingEncoder("model-a", 64))  # type: ignore[arg-type]
    _build(first, practices_copy)
    first.close()
    other = CountingEncoder("model-b", 32)
    second = KnowledgeBase(folder, encoder=other)  # type: ignore[arg-type]
    with pytest.raises(NeedsBuild, match="run 'kb build'"):
        second.search("jeunes")
    report = second.update_vectors()
    assert report.dropped_other_model == report.encoded == len(second.store.parts())
    models = {r[0] for r in second.store.db.execute("SELECT DISTINCT model FROM vectors")}
    assert models == {"model-b"}
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert (manifest["model"], manifest["dim"]) == ("model-b", 32)
    assert second.search("jeunes", limit=1).hits


def test_reimport_never_overwrites_a_web_edit(counting_kb: KnowledgeBase, practices_copy: Path) -> None:
    _build(counting_kb, practices_copy)
    store = counting_kb.store
    sheet = store.get_sheet("anar-usine-de-tri-sieen")
    assert sheet is not None
    sheet.sections["advice"] = "Conseil modifié sur le web."
    store.save_sheet(sheet, edited=True)
    # unchanged file: the web edit stays, quietly
    assert "anar-usine-de-tri-sieen" in counting_kb.import_practices(practices_copy).unchanged
    # changed file: a conflict is reported and the web edit is kept
    path = practices_copy / "anar-usine-de-tri-sieen.md"
    path.write_text(path.read_text().replace("porte plusieurs", "porte de nombreux"), encoding="utf-8")
    report = counting_kb.import_practices(practices_copy)
    assert [c.split(":")[0] for c in report.conflicts] == ["anar-usine-de-tri-sieen"]
    kept = store.get_sheet("anar-usine-de-tri-sieen")
    assert kept is not None and kept.sections["advice"] == "Conseil modifié sur le web."
    # deleted file: still kept, still reported
    path.unlink()
    report = counting_kb.import_practices(practices_copy)
    assert report.conflicts and store.get_sheet("anar-usine-de-tri-sieen") is not None


def test_removed_file_removes_its_sheet_but_a_broken_file_does_not(
    counting_kb: KnowledgeBase, practices_copy: Path
) -> None:
    _build(counting_kb, practices_copy)
    (practices_copy / "sdat-economie-circulaire-rives-de-saone.md").unlink()
    (practices_copy / "intermed-groupement-associations-intermediaires.md").write_bytes(b"\xff\xfe broken")
    report = counting_kb.import_practices(practices_copy)
    assert report.removed == ["sdat-economie-circulaire-rives-de-saone"]
    assert len(report.failed) == 1
    assert counting_kb.store.get_sheet("intermed-groupement-associations-intermediaires") is not None
    counting_kb.update_vectors()
    assert all(
        h.sheet.id != "sdat-economie-circulaire-rives-de-saone" for h in counting_kb.search("SDAT", limit=20).hits
    )


def test_other_processes_patch_their_index_from_the_change_log(make_kb: KbFactory, practices_copy: Path) -> None:
    """A publish in one process reaches another through the log, without a full reload or save."""
    from kb import contributions
    from kb.sheet import SECTIONS, Sheet
    from kb.vector_index import INDEX_FILE

    writer = make_kb(practices=practices_copy)
    reader = make_kb(readonly=True)
    first = reader.current_index()
    before = len(first)
    saved = (writer.index_dir / INDEX_FILE).stat().st_mtime_ns
    sheet = Sheet(
        id="nouvelle", title="Nouvelle pratique", sections={**dict.fromkeys(SECTIONS, ""), "context": "Texte."}
    )
    contributions.submit(writer, sheet, "A", "a@example.org")
    contributions.publish(writer, "nouvelle", "alice")
    index = reader.current_index()
    assert len(index) == before + 2 and index.base is first.base  # patched from the log, not reloaded
    assert len(first) == before  # a copy is patched: a search still running on the old one is undisturbed
    assert (writer.index_dir / INDEX_FILE).stat().st_mtime_ns == saved  # no full rewrite per change
    contributions.unpublish(writer, "nouvelle", "alice")
    assert len(reader.current_index()) == before
    assert "nouvelle" not in [h.sheet.id for h in reader.search("Nouvelle pratique", limit=20).hits]
    # after a bulk change (a build) the log no longer covers the span: the reader reloads
    (practices_copy / "anar-usine-de-tri-sieen.md").unlink()
    _build(writer, practices_copy)
    assert len(reader.current_index()) == len(writer.current_index())


def test_the_log_is_compacted_into_the_index_file(make_kb: KbFactory, practices_copy: Path) -> None:
    from kb import contributions
    from kb.index_keeper import COMPACT_AFTER

    writer = make_kb(practices=practices_copy)
    for _ in range(COMPACT_AFTER // 2 + 1):
        contributions.unpublish(writer, "anar-usine-de-tri-sieen", "alice")
        contributions.publish(writer, "anar-usine-de-tri-sieen", "alice")
    assert writer.keeper._compaction is not None  # the index file is written in a thread, not by the change
    writer.flush()
    assert len(writer.store.index_changes(-1)) < COMPACT_AFTER
    manifest = json.loads((writer.index_dir / MANIFEST_FILE).read_text())
    assert manifest["vectors_version"] > 12
    fresh = make_kb(readonly=True)
    assert len(fresh.current_index()) == len(writer.current_index())


def test_processes_share_the_saved_file_and_map_a_newer_one(make_kb: KbFactory, practices_copy: Path) -> None:
    """Every process searches the memory-mapped file; when one saves a new file (compaction),
    the others map it instead of growing their own delta."""
    from kb import contributions
    from kb.index_keeper import COMPACT_AFTER

    writer = make_kb(practices=practices_copy)
    reader = make_kb(readonly=True)
    first = reader.current_index()
    assert first.mapped and writer.current_index().mapped
    contributions.unpublish(writer, "anar-usine-de-tri-sieen", "alice")
    now = reader.current_index()
    assert now.base is first.base and now.delta.ntotal == 0 and len(now) < len(now.base_ids)  # tombstones
    contributions.publish(writer, "anar-usine-de-tri-sieen", "alice")
    now = reader.current_index()
    assert now.base is first.base and now.delta.ntotal > 0
    for _ in range(COMPACT_AFTER // 2):
        contributions.unpublish(writer, "anar-usine-de-tri-sieen", "alice")
        contributions.publish(writer, "anar-usine-de-tri-sieen", "alice")
    writer.flush()  # the index file is written in the background
    remapped = reader.current_index()
    assert remapped.base is not first.base and remapped.mapped  # the new file, plus the changes made after it
    stored = sorted(writer.store.vectors(writer.encoder.model_id)[0].tolist())
    assert remapped.ids().tolist() == writer.current_index().ids().tolist() == stored


def test_flat_index_searches_base_and_delta_with_filters(tmp_path: Path) -> None:
    from kb.vector_index import Manifest, VectorIndex

    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((200, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    ids = np.arange(1, 201, dtype=np.int64)
    index = VectorIndex.from_vectors(ids, matrix, 16)
    index.save(tmp_path, Manifest("m", 16, 200, 1))
    assert index.mapped
    index.remove(np.array([1, 2]))  # tombstones in the mapped base
    index.add(np.array([3, 500]), matrix[:2])  # 3 replaced, 500 new: both in the delta
    assert len(index) == 199 and index.ids().tolist() == [3, *range(4, 201), 500]
    _, found = index.search(matrix[0], 3)
    assert found[0] in (3, 500) and 1 not in found.tolist()
    _, found = index.search(matrix[0], 5, allowed_ids=np.array([1, 3, 7]))
    assert sorted(found.tolist()) == [3, 7]  # 1 is removed, 500 not allowed
    assert index.search(matrix[0], 5, allowed_ids=np.array([], dtype=np.int64))[1].size == 0


def test_ivf_index_adds_removes_filters_and_round_trips(tmp_path: Path) -> None:
    from kb.vector_index import Manifest, VectorIndex

    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((3000, 32)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    ids = np.arange(10, 3010, dtype=np.int64)
    ivf = VectorIndex.from_vectors(ids, matrix, 32, threshold=1000)
    flat = VectorIndex.from_vectors(ids, matrix, 32)
    assert ivf.kind.startswith("IVF") and flat.kind.startswith("IDMap2")
    query = matrix[5]
    exact = flat.search(query, 10)[1]
    assert set(ivf.search(query, 10, nprobe=ivf.base.nlist)[1]) == set(exact)  # all lists: exact up to SQ8 noise
    allowed = ids[:100]
    assert set(ivf.search(query, 10, allowed_ids=allowed)[1]) <= set(allowed.tolist())
    ivf.remove(np.array([15]))
    assert 15 not in ivf.search(query, 3000, nprobe=ivf.base.nlist)[1].tolist()
    ivf.add(np.array([5000]), matrix[:1])
    assert ivf.search(matrix[0], 2)[1].tolist()[:2] in ([10, 5000], [5000, 10])  # the same vector twice
    before = ivf.search(query, 5)[1].tolist()
    ivf.save(tmp_path, Manifest("m", 32, len(ivf), 1))
    assert ivf.mapped and 5000 in ivf.ids() and 15 not in ivf.ids()  # changes folded into the file
    loaded, manifest = VectorIndex.load(tmp_path, "m", 32)
    assert manifest.index_type.startswith("IVF") and len(loaded) == len(ivf) == 3000
    assert loaded.search(query, 5)[1].tolist() == before


def test_knowledge_base_switches_to_ivf_above_the_threshold(tmp_path: Path, practices_copy: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kb import contributions, vector_index
    from kb.sheet import SECTIONS, Sheet

    monkeypatch.setattr(vector_index, "IVF_THRESHOLD", 20)
    kb = KnowledgeBase(tmp_path / "index", encoder=CountingEncoder())  # type: ignore[arg-type]
    _build(kb, practices_copy)
    assert kb.current_index().kind.startswith("IVF")
    sheet = Sheet(
        id="ivf-ajout", title="Ajout dans un index IVF", sections={**dict.fromkeys(SECTIONS, ""), "context": "x"}
    )
    contributions.submit(kb, sheet, "A", "a@example.org")
    contributions.publish(kb, "ivf-ajout", "alice")
    assert "ivf-ajout" in [h.sheet.id for h in kb.search("Ajout dans un index IVF", limit=3, mode="keyword").hits]
    ids, _ = kb.store.vectors(kb.encoder.model_id)
    assert len(kb.current_index()) == len(ids)
    kb.close()
