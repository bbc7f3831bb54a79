"""What every search reads again from a corpus that changes rarely, kept between searches.

A search asks SQLite for the same facts about the same parts, sheets and terms query after query:
which sheet a part belongs to, which terms a sheet holds, how many parts hold a term, a sheet's
record. These are facts about the corpus, not about a query, so they are kept per corpus version
(``Store.vectors_version``, bumped by every change to parts, vectors, a sheet's status, tags,
organisations, region, event or year) and dropped when it changes; only the facts a search misses go to SQLite, in one
statement each. A sheet's record is kept beside its stored JSON text instead, since an edit of its
other metadata leaves the version as it is: it is read again once something was committed.
Whether anything was is one cheap statement per search (``Store.change_stamp``): while nothing
was, neither the version nor any record is read. Each map is bounded: past its size it is emptied
and refilled.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from kb.organisations import OrganisationNames
from kb.sheet import Sheet
from kb.store import Store
from kb.store.sheets import parse_sheet

MAX_PARTS = 50_000  # (sheet id, section) of a part: a few MB
MAX_SHEETS = 2_000  # a sheet's terms (a few hundred) or its record
MAX_TERMS = 50_000
# Sheets carrying a tag or listing an organisation a query names: the vocabulary's keys (a few dozen)
# and the organisations queries name (at 100,000 sheets a theme may hold 10,000 ids, about 1 MB).
MAX_TAGGED = 128


class CorpusFacts:
    """Corpus facts for the searches of one reader connection (one thread): not shared."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.version = -1
        self._stamp: tuple[int, int] | None = None
        self._checks = 0  # how many times something was committed since: records checked before are read again
        self._owners: dict[int, tuple[str, str] | None] = {}
        self._sheet_terms: dict[str, frozenset[str]] = {}
        self._sheet_tags: dict[str, frozenset[str]] = {}
        self._counts: dict[str, int] = {}
        self._tagged: dict[tuple[str, str], frozenset[str]] = {}
        self._records: dict[str, tuple[str, Sheet, int]] = {}  # (stored text, parsed, when checked)
        self._organisations: OrganisationNames | None = None

    def refresh(self) -> int:
        """Once per search: when something was committed since the last refresh, read the corpus
        version, drop what an older version left, and check kept records again when next asked.
        The stamp is taken before the version is read: a commit in between shows at the next refresh."""
        stamp = self.store.change_stamp()
        if stamp == self._stamp:
            return self.version
        self._stamp = stamp
        self._checks += 1
        version = self.store.vectors_version
        if version != self.version:
            self.version = version
            self._owners, self._sheet_terms, self._sheet_tags, self._counts, self._tagged = {}, {}, {}, {}, {}
            self._organisations = None
        return version

    def organisations(self) -> OrganisationNames:
        """The corpus's organisations by name (read once per corpus version)."""
        if self._organisations is None:
            self._organisations = OrganisationNames(self.store.organisation_names())
        return self._organisations

    def part_owners(self, part_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Part id -> (sheet id, section), for the given parts of published sheets only."""
        owners = self.owners(part_ids)
        return {pid: owner for pid in part_ids if (owner := owners[pid]) is not None}

    def owners(self, part_ids: Sequence[int]) -> Mapping[int, tuple[str, str] | None]:
        """A map holding each given part's (sheet id, section), None for a part of no published
        sheet, and other parts too: a search reads its parts' owners once, in its own pass. Read
        it, never change it."""
        owners = self._owners
        _bound(owners, MAX_PARTS, len(part_ids))
        missing = [pid for pid in part_ids if pid not in owners]
        if missing:
            found = self.store.part_owners(missing)
            owners.update((pid, found.get(pid)) for pid in missing)
        return owners

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many parts hold each term (0 for a term the corpus lacks)."""
        counts = self._counts
        _bound(counts, MAX_TERMS, len(terms))
        missing = [t for t in dict.fromkeys(terms) if t not in counts]
        if missing:
            found = self.store.term_counts(missing)
            counts.update((sys.intern(t), found.get(t, 0)) for t in missing)
        return {t: counts[t] for t in terms}

    def sheet_terms(self, sheet_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The analysed terms of each sheet's parts (its keyword index rows; none for a sheet
        without any)."""
        held = self._sheet_terms
        _bound(held, MAX_SHEETS, len(sheet_ids))
        missing = [sid for sid in sheet_ids if sid not in held]
        if missing:
            found = self.store.sheet_terms(missing)
            held.update((sid, frozenset(map(sys.intern, found.get(sid, ())))) for sid in missing)
        return {sid: held[sid] for sid in sheet_ids}

    def sheet_tags(self, sheet_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The vocabulary keys each sheet carries (its tags change the corpus version)."""
        held = self._sheet_tags
        _bound(held, MAX_SHEETS, len(sheet_ids))
        missing = [sid for sid in sheet_ids if sid not in held]
        if missing:
            found = self.store.vocabulary_tags(missing)
            held.update((sid, frozenset(found.get(sid, ()))) for sid in missing)
        return {sid: held[sid] for sid in sheet_ids}

    def tagged(self, facet: str, value: str) -> frozenset[str]:
        """The published sheets whose ``facet`` (themes, publics…, organisations) holds ``value``:
        a search asks this of every tag and organisation its query names, a page with no strong
        match of every theme (``Searcher.closest_themes``); each only asks whether a sheet is among
        them or how many there are. The one place a search reads these sheets from."""
        key = (facet, value)
        found = self._tagged.get(key)
        if found is None:
            _bound(self._tagged, MAX_TAGGED, 1)
            found = self._tagged[key] = frozenset(self.store.filter_ids({facet: [value]}))
        return found

    def sheets(self, ids: Sequence[str]) -> dict[str, Sheet]:
        """Published sheets by id: read only when something was committed since they were last
        checked, parsed again only when their stored text changed. The records are shared between
        searches: read them, never change them."""
        records, checks = self._records, self._checks
        _bound(records, MAX_SHEETS, len(ids))
        unchecked = [sid for sid in ids if (kept := records.get(sid)) is None or kept[2] != checks]
        if unchecked:
            for sheet_id, data in self.store.sheet_texts(unchecked).items():
                kept = records.get(sheet_id)
                sheet = kept[1] if kept is not None and kept[0] == data else parse_sheet(data)
                records[sheet_id] = (data, sheet, checks)
        return {sid: kept[1] for sid in ids if (kept := records.get(sid)) is not None and kept[2] == checks}


def _bound(facts: dict[Any, Any], limit: int, coming: int) -> None:
    """Empty a map that would outgrow ``limit``: the next searches refill what they use. Called
    before a lookup decides what it misses, never after: emptied then, it would lose what the
    lookup found there (a KeyError at 100,000 sheets, once the map was full)."""
    if len(facts) + coming > limit:
        facts.clear()
