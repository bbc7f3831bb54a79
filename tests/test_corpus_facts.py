"""The corpus facts a search keeps between searches agree with the store, before and after changes."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from kb import corpus_facts
from kb.corpus_facts import CorpusFacts
from kb.knowledge_base import KnowledgeBase
from kb.sheet import Sheet
from kb.vocabulary import vocabulary
from tests.helpers import ROOT, KbFactory


def test_facts_agree_with_the_store(make_kb: KbFactory, practices_copy: Path) -> None:
    kb = make_kb(practices=practices_copy)
    store, facts = kb.store, CorpusFacts(kb.store)
    facts.refresh()
    ids = store.sheet_ids()
    part_ids = [p.id for p in store.parts()] + [10**9]  # one that does not exist
    terms = ["insert", "jeun", "absentissime"]
    theme = "iae-commande-publique"
    for _ in range(2):  # from SQLite, then from what was kept
        assert facts.part_owners(part_ids) == store.part_owners(part_ids)
        assert facts.term_counts(terms) == {t: store.term_counts(terms).get(t, 0) for t in terms}
        assert facts.sheet_terms(ids) == store.sheet_terms(ids)
        assert facts.sheets(ids) == {s.id: s for s in store.sheets(ids)}
        assert facts.tagged("themes", theme) == set(store.filter_ids({"themes": [theme]}))


def test_full_maps_are_emptied_before_a_lookup_never_during_it(
    make_kb: KbFactory, practices_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its size a map is emptied; a lookup that half hits it must still answer whole."""
    for name in ("MAX_PARTS", "MAX_SHEETS", "MAX_TERMS", "MAX_TAGGED"):
        monkeypatch.setattr(corpus_facts, name, 4)
    kb = make_kb(practices=practices_copy)
    store, facts = kb.store, CorpusFacts(kb.store)
    facts.refresh()
    ids = store.sheet_ids()
    part_ids = [p.id for p in store.parts()]
    terms = ["insert", "jeun", "clause", "social", "emploi"]
    facts.sheet_terms(ids[:3]), facts.part_owners(part_ids[:3]), facts.term_counts(terms[:3])
    assert facts.sheet_terms(ids[1:5]) == store.sheet_terms(ids[1:5])
    assert facts.part_owners(part_ids[1:5]) == store.part_owners(part_ids[1:5])
    assert facts.term_counts(terms[1:]) == {t: store.term_counts(terms[1:]).get(t, 0) for t in terms[1:]}
    themes = list(vocabulary().terms["themes"])[:6]  # one more than fits, once the map is full
    for theme in themes * 2:
        assert facts.tagged("themes", theme) == set(store.filter_ids({"themes": [theme]}))
        assert len(facts._tagged) <= 4


def test_facts_follow_changes_to_the_corpus(make_kb: KbFactory, practices_copy: Path) -> None:
    kb = make_kb(practices=practices_copy)
    facts = CorpusFacts(kb.store)
    facts.refresh()
    first, second = kb.store.filter_ids({"themes": ["iae-commande-publique"]})[:2]
    assert first in facts.tagged("themes", "iae-commande-publique")
    parts = [p.id for p in kb.store.parts([first, second])]
    assert {owner[0] for owner in facts.part_owners(parts).values()} == {first, second}
    before = facts.version
    kb.set_status(first, "pending")  # unpublished: its parts are no one's for search
    assert facts.refresh() != before
    assert {owner[0] for owner in facts.part_owners(parts).values()} == {second}
    assert set(facts.sheets([first, second])) == {second}
    assert first not in facts.tagged("themes", "iae-commande-publique")  # unpublished: in no tag's sheets
    # An edit of metadata no filter reads leaves the corpus version as it is: the record is read again anyway.
    sheet = kb.store.get_sheet(second)
    assert sheet is not None and facts.sheets([second])[second].territory == sheet.territory
    kb.save_sheet(replace(sheet, territory="Dole"), status="published", origin="edit", edited=True)
    facts.refresh()
    assert facts.sheets([second])[second].territory == "Dole"


def test_a_search_after_a_change_sees_it(make_kb: KbFactory, practices_copy: Path) -> None:
    kb = make_kb(practices=practices_copy)
    found = kb.search("insertion", limit=100).ids
    kb.set_status(found[0], "pending")
    assert found[0] not in kb.search("insertion", limit=100).ids


def test_a_search_sees_an_edit_of_tags_or_organisations_alone(make_kb: KbFactory, practices_copy: Path) -> None:
    kb = make_kb(practices=practices_copy)
    sheet = kb.store.get_sheet("intermed-groupement-associations-intermediaires")
    assert sheet is not None and kb.search("AGIRE", {"theme": ["economie-circulaire"]}).total == 3
    kb.save_sheet(
        replace(sheet, organisations=[*sheet.organisations, "AGIRE"], themes=[*sheet.themes, "economie-circulaire"]),
        status="published",
        origin="edit",
        edited=True,
    )
    results = kb.search("AGIRE", {"theme": ["economie-circulaire"]})
    assert results.total == 4 and "Structure : AGIRE" in {r.text for h in results.hits for r in h.reasons}


SAVE_IN_ANOTHER_PROCESS = """
import sys
from kb.store import Store
from kb.store.sheets import parse_sheet
store = Store(sys.argv[1])
store.save_sheet(parse_sheet(sys.argv[2]), status="published", origin="edit", edited=True)
store.close()
"""


def _save(kb: KnowledgeBase, sheet: Sheet, where: str) -> None:
    """Save an edited sheet through the store alone (an edit of metadata no filter reads leaves the
    corpus version as it is) from this process's writer, or (``where == "process"``) another process."""
    if where == "process":
        data = json.dumps(sheet.to_dict(), ensure_ascii=False)
        subprocess.run([sys.executable, "-c", SAVE_IN_ANOTHER_PROCESS, str(kb.store.path), data], cwd=ROOT, check=True)
    else:
        kb.store.save_sheet(sheet, status="published", origin="edit", edited=True)


@pytest.mark.parametrize("where", ["same connection", "other connection", "process"])
def test_kept_records_follow_an_edit_of_the_metadata_alone(
    make_kb: KbFactory, practices_copy: Path, where: str
) -> None:
    """Nothing committed: records are served as kept, without a read. An edit that leaves the
    corpus version as it is, through the facts' own connection (a writer), another connection
    or another process, is seen at the next refresh."""
    kb = make_kb(practices=practices_copy)
    facts = CorpusFacts(kb.store if where == "same connection" else kb.reader())
    facts.refresh()
    sheet_id = kb.store.sheet_ids()[0]
    sheet = facts.sheets([sheet_id])[sheet_id]
    version = facts.version
    facts.refresh()
    assert facts.sheets([sheet_id])[sheet_id] is sheet  # kept, not parsed again
    _save(kb, replace(sheet, territory="Dole"), where)
    assert facts.refresh() == version
    assert facts.sheets([sheet_id])[sheet_id].territory == "Dole"


def test_a_filter_sees_a_region_changed_by_a_store_level_save(make_kb: KbFactory, practices_copy: Path) -> None:
    """`kb import` saves a re-imported sheet through the store: a region changed alone must reach
    the filters a searcher keeps per corpus version."""
    kb = make_kb(practices=practices_copy)
    sheet = kb.store.get_sheet("intermed-groupement-associations-intermediaires")
    assert sheet is not None and kb.search("insertion", {"region": ["Corse"]}).total == 0
    kb.store.save_sheet(replace(sheet, region="Corse"), status="published", origin="practices")
    assert kb.search("insertion", {"region": ["Corse"]}).ids == [sheet.id]
