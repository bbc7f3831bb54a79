"""Searchable parts (title, sections and their sentence windows: ``kb.passages``) and the French
keyword index (FTS5) of the title and sections."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.passages import indexed_parts, is_window, passage_text
from kb.sheet import Sheet
from kb.store.base import IN_JSON, PUBLISHED, Database, json_list
from kb.text import terms

# Id lists travel as one JSON parameter: no limit on their length (SQLite caps '?' parameters).
# Queries given such a list write "+status" so the planner looks the ids up by key instead of


def passage_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Part:
    id: int
    sheet_id: str
    section: str
    text: str


class Parts(Database):
    def _save_parts(self, sheet: Sheet) -> None:
        existing = {
            section: (part_id, passage_hash)
            for part_id, section, passage_hash in self.db.execute(
                "SELECT id, section, passage_hash FROM parts WHERE sheet_id = ?", [sheet.id]
            ).fetchall()
        }
        parts = indexed_parts(sheet)
        changed = False
        for section, (part_id, _) in existing.items():
            if section not in parts:
                self.db.execute("DELETE FROM parts_fts WHERE rowid = ?", [part_id])
                self.db.execute("DELETE FROM parts WHERE id = ?", [part_id])
                changed = True
        for section, text in parts.items():
            new_hash = passage_hash(passage_text(sheet, section))
            index_terms = "" if is_window(section) else " ".join(terms(text))
            if section in existing:
                part_id, old_hash = existing[section]
                self.db.execute("UPDATE parts SET text = ?, passage_hash = ? WHERE id = ?", [text, new_hash, part_id])
                self.db.execute("DELETE FROM parts_fts WHERE rowid = ?", [part_id])
                changed |= old_hash != new_hash
            else:
                part_id = self.db.execute(
                    "INSERT INTO parts (sheet_id, section, text, passage_hash) VALUES (?, ?, ?, ?)",
                    [sheet.id, section, text, new_hash],
                ).lastrowid
                changed = True
            if not is_window(section):  # windows repeat their section's words: dense side only
                self.db.execute("INSERT INTO parts_fts (rowid, terms) VALUES (?, ?)", [part_id, index_terms])
        if changed:
            self._bump_vectors_version()

    # -- parts, keywords and vectors ---------------------------------------------------------
    def parts(self, sheet_ids: Sequence[str] | None = None, status: str | None = None) -> list[Part]:
        sql = "SELECT p.id, p.sheet_id, p.section, p.text FROM parts p JOIN sheets s ON s.id = p.sheet_id WHERE 1"
        params: list[Any] = []
        if sheet_ids is not None:
            sql += f" AND p.sheet_id IN {IN_JSON}"
            params.append(json_list(sheet_ids))
        if status is not None:
            sql += " AND +s.status = ?" if sheet_ids is not None else " AND s.status = ?"
            params.append(status)
        return [Part(*row) for row in self.db.execute(sql + " ORDER BY p.id", params)]

    def part_ids(self, sheet_ids: Sequence[str]) -> np.ndarray:
        rows = self.db.execute(f"SELECT id FROM parts WHERE sheet_id IN {IN_JSON}", [json_list(sheet_ids)]).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def keyword_search(self, query_terms: Sequence[str], limit: int = 400) -> list[tuple[int, float]]:
        """(part id, BM25 score, higher is better) of the best parts matching any term, any status.

        The terms are analysed words (letters and digits only); each is quoted, so FTS5 operators in
        a user's query are plain words here.
        """
        unique = [t for t in dict.fromkeys(query_terms) if t and '"' not in t]
        if not unique:
            return []
        match = " OR ".join(f'"{t}"' for t in unique)
        # bm25() with SQLite's own LIMIT rather than FTS5's ``rank``, which sorts every match in a
        # statement of its own: the same rows in the same order, a third faster. Tied parts (the
        # same words in the same length) come by rowid, said here rather than left to the sorter:
        # which of them the LIMIT keeps, and their order, which settles ties in ``_fuse``.
        return self.db.execute(
            "SELECT rowid, -bm25(parts_fts) FROM parts_fts WHERE parts_fts MATCH ?"
            " ORDER BY bm25(parts_fts), rowid LIMIT ?",
            [match, limit],
        ).fetchall()

    def optimize_keyword_index(self) -> None:
        """Merge the keyword index into one segment, after a bulk load. Each write adds a segment
        and FTS5 looks every query term up in each one: on the seed corpus, 11 segments made a
        keyword query 2.7 times slower. Single publications are left to FTS5's automerge."""
        with self.transaction():
            self.db.execute("INSERT INTO parts_fts (parts_fts) VALUES ('optimize')")

    def term_counts(self, query_terms: Sequence[str]) -> dict[str, int]:
        """How many parts hold each term."""
        unique = list(dict.fromkeys(query_terms))
        rows = self.db.execute(f"SELECT term, doc FROM parts_vocab WHERE term IN {IN_JSON}", [json_list(unique)])
        return dict(rows.fetchall())

    def sheets_with_term(self, term: str, status: str = PUBLISHED) -> int:
        """How many sheets of this status hold ``term`` (an analysed word) in any part."""
        if not term or '"' in term:
            return 0
        row = self.db.execute(
            "SELECT count(DISTINCT p.sheet_id) FROM parts_fts JOIN parts p ON p.id = parts_fts.rowid "
            "JOIN sheets s ON s.id = p.sheet_id WHERE parts_fts MATCH ? AND s.status = ?",
            [f'"{term}"', status],
        ).fetchone()
        return int(row[0])

    def part_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM parts").fetchone()[0])

    def keyword_part_count(self) -> int:
        """Parts in the keyword index (the sentence windows are not)."""
        return int(self.db.execute("SELECT count(*) FROM parts_fts").fetchone()[0])

    def sheet_terms(self, sheet_ids: Sequence[str]) -> dict[str, set[str]]:
        """The analysed terms of each sheet's parts (its keyword index rows), for query coverage."""
        out: dict[str, set[str]] = {sid: set() for sid in sheet_ids}
        rows = self.db.execute(
            f"""SELECT p.sheet_id, f.terms FROM parts p JOIN parts_fts f ON f.rowid = p.id
                WHERE p.sheet_id IN {IN_JSON}""",
            [json_list(sheet_ids)],
        )
        for sheet_id, text in rows:
            out[sheet_id].update(text.split())
        return out

    def published_texts(self, limit: int) -> Iterator[str]:
        """The text of published parts, the latest first, at most ``limit`` (the spelling dictionary's source)."""
        for (text,) in self.db.execute(
            "SELECT p.text FROM parts p JOIN sheets s ON s.id = p.sheet_id WHERE s.status = 'published'"
            " AND instr(p.section, '~') = 0 ORDER BY p.id DESC LIMIT ?",
            [limit],
        ):
            yield text

    def part_owners(self, part_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Part id -> (sheet id, section), for the given parts of published sheets only."""
        rows = self.db.execute(
            f"""SELECT p.id, p.sheet_id, p.section FROM parts p JOIN sheets s ON s.id = p.sheet_id
                WHERE p.id IN {IN_JSON} AND +s.status = 'published'""",
            [json.dumps([int(i) for i in part_ids])],
        ).fetchall()
        return {int(a): (b, c) for a, b, c in rows}
