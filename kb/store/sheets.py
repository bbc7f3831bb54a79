"""Sheets: their rows, tags, status, dates and « En bref », and the filters and facets over them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kb.sheet import Sheet
from kb.store.base import IN_JSON, PUBLISHED, json_list, now
from kb.store.parts import Parts
from kb.summary import extract_summary
from kb.text import fold
from kb.vocabulary import FACETS, meetings


def parse_sheet(data: str) -> Sheet:
    """A sheet from its stored JSON text (the ``data`` column)."""
    return Sheet.from_dict(json.loads(data))


def presented_on(sheet: Sheet) -> str | None:
    """The day the practice was presented: the sheet's date, else its meeting's."""
    meeting = meetings().get(sheet.event or "")
    return sheet.date or (str(meeting.date) if meeting and meeting.date else None)


@dataclass(frozen=True)
class Publication:
    """When a sheet was presented, published and last updated, and its « En bref »."""

    presented_on: str | None
    published_at: str | None
    updated_at: str
    summary: str
    summary_edited: bool


@dataclass(frozen=True)
class SheetRecord:
    sheet: Sheet
    status: str
    origin: str
    imported_hash: str | None
    edited_after_import: bool
    updated_at: str


# How /fiches sorts: title (accents and case folded), region then title, date presented then title.
BROWSE_ORDERS: dict[str, tuple[str, ...]] = {
    "title": ("title_key",),
    "region": ("coalesce(region, '~') COLLATE NOCASE", "title_key"),
    "date": ("coalesce(presented_on, '0000')", "title_key"),
}


class Sheets(Parts):
    # -- sheets -------------------------------------------------------------------------------
    def save_sheet(
        self,
        sheet: Sheet,
        *,
        status: str = PUBLISHED,
        origin: str = "practices",
        imported_hash: str | None = None,
        edited: bool = False,
    ) -> None:
        """Insert or replace a sheet with its tags, parts and keyword rows (one transaction).

        Parts keep their ids when their section survives, so vector ids stay stable; a part whose
        passage text changed loses its vector and is re-encoded by the next index update.
        """
        with self.transaction():
            previous = self.db.execute(
                "SELECT imported_hash, edited_after_import, region, event, year FROM sheets WHERE id = ?", [sheet.id]
            ).fetchone()
            # An import records the file's hash and clears the edit mark; an edit sets the mark.
            edited_flag = int(edited or (imported_hash is None and bool(previous and previous[1])))
            if imported_hash is None and previous is not None:
                imported_hash = previous[0]
            at = now()
            self.db.execute(
                """INSERT INTO sheets (id, title, data, region, event, year, status, origin, imported_hash,
                                       edited_after_import, updated_at, presented_on, published_at, summary,
                                       title_key)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET title = excluded.title, title_key = excluded.title_key,
                     data = excluded.data,
                     region = excluded.region, event = excluded.event, year = excluded.year,
                     status = excluded.status, origin = excluded.origin,
                     imported_hash = excluded.imported_hash,
                     edited_after_import = excluded.edited_after_import, updated_at = excluded.updated_at,
                     presented_on = excluded.presented_on,
                     published_at = coalesce(sheets.published_at, excluded.published_at),
                     summary = CASE WHEN sheets.summary_edited THEN sheets.summary ELSE excluded.summary END""",
                [
                    sheet.id,
                    sheet.title,
                    json.dumps(sheet.to_dict(), ensure_ascii=False),
                    sheet.region,
                    sheet.event,
                    sheet.year,
                    status,
                    origin,
                    imported_hash,
                    edited_flag,
                    at,
                    presented_on(sheet),
                    at if status == PUBLISHED else None,
                    extract_summary(sheet),
                    fold(sheet.title),
                ],
            )
            tags = [(sheet.id, facet, value) for facet in FACETS for value in getattr(sheet, facet)]
            tags += [(sheet.id, "organisations", org) for org in sheet.organisations]
            held = self.db.execute("SELECT sheet_id, facet, value FROM sheet_tags WHERE sheet_id = ?", [sheet.id])
            # Searches keep each filter's sheets per corpus version: a change of what filters read
            # (tags, organisations, region, event, year) is a new version, even when no part changed.
            filtered = previous is not None and tuple(previous[2:]) != (sheet.region, sheet.event, sheet.year)
            if set(held.fetchall()) != set(tags):
                self.db.execute("DELETE FROM sheet_tags WHERE sheet_id = ?", [sheet.id])
                self.db.executemany("INSERT OR IGNORE INTO sheet_tags VALUES (?, ?, ?)", tags)
                filtered = True
            if filtered:
                self._bump_vectors_version()
            self._save_parts(sheet)

    def delete_sheet(self, sheet_id: str) -> bool:
        with self.transaction():
            part_ids = [r[0] for r in self.db.execute("SELECT id FROM parts WHERE sheet_id = ?", [sheet_id])]
            self.db.executemany("DELETE FROM parts_fts WHERE rowid = ?", [(i,) for i in part_ids])
            deleted = self.db.execute("DELETE FROM sheets WHERE id = ?", [sheet_id]).rowcount > 0
            if deleted:
                self._bump_vectors_version()
            return deleted

    def record(self, sheet_id: str) -> SheetRecord | None:
        row = self.db.execute(
            "SELECT data, status, origin, imported_hash, edited_after_import, updated_at FROM sheets WHERE id = ?",
            [sheet_id],
        ).fetchone()
        if row is None:
            return None
        return SheetRecord(parse_sheet(row[0]), row[1], row[2], row[3], bool(row[4]), row[5])

    def get_sheet(self, sheet_id: str, status: str | None = PUBLISHED) -> Sheet | None:
        record = self.record(sheet_id)
        if record is None or (status is not None and record.status != status):
            return None
        return record.sheet

    def sheets(self, ids: Iterable[str] | None = None, status: str | None = PUBLISHED) -> list[Sheet]:
        """Sheets in id order (or in the order of ``ids``)."""
        clauses, params = [], []
        if ids is not None:
            ids = list(ids)
            clauses.append(f"id IN {IN_JSON}")
            params.append(json_list(ids))
        if status is not None:
            # "+status": with an id list, look ids up by key rather than scan a status index
            clauses.append("+status = ?" if ids is not None else "status = ?")
            params.append(status)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = {row[0]: row[1] for row in self.db.execute(f"SELECT id, data FROM sheets{where} ORDER BY id", params)}
        order = list(rows) if ids is None else [i for i in ids if i in rows]
        return [parse_sheet(rows[i]) for i in order]

    def sheet_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Published sheet id -> its stored JSON text (``parse_sheet``), for the ids that have one:
        what a search keeps its parsed sheets beside (``kb.corpus_facts``)."""
        sql = f"SELECT id, data FROM sheets WHERE id IN {IN_JSON} AND +status = ?"
        return dict(self.db.execute(sql, [json_list(ids), PUBLISHED]))

    def sheet_ids(self, origin: str | None = None, status: str | None = PUBLISHED) -> list[str]:
        clauses, params = [], []
        if origin is not None:
            clauses.append("origin = ?")
            params.append(origin)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return [r[0] for r in self.db.execute(f"SELECT id FROM sheets{where} ORDER BY id", params)]

    def organisation_names(self) -> list[str]:
        """Every organisation a sheet lists, whatever its status (the sheets' filter says which
        published sheets list one)."""
        rows = self.db.execute("SELECT DISTINCT value FROM sheet_tags WHERE facet = 'organisations' ORDER BY value")
        return [r[0] for r in rows]

    def existing_ids(self, ids: Sequence[str]) -> list[str]:
        """Which of ``ids`` are sheets already, whatever their status."""
        return [r[0] for r in self.db.execute(f"SELECT id FROM sheets WHERE id IN {IN_JSON}", [json_list(ids)])]

    def ids_by_update(self, status: str) -> list[str]:
        """Ids of the sheets with this status, the least recently changed first (a queue)."""
        rows = self.db.execute("SELECT id FROM sheets WHERE status = ? ORDER BY updated_at, id", [status])
        return [r[0] for r in rows]

    def count(self, status: str | None = PUBLISHED) -> int:
        if status is None:
            return int(self.db.execute("SELECT count(*) FROM sheets").fetchone()[0])
        return int(self.db.execute("SELECT count(*) FROM sheets WHERE status = ?", [status]).fetchone()[0])

    # -- filters and facets --------------------------------------------------------------------
    def filter_ids(self, filters: dict[str, Sequence[str]], status: str = PUBLISHED) -> list[str]:
        """Ids of the sheets that match every filter (values of one filter are alternatives)."""
        where, params = self._filter_where(filters, status)
        return [r[0] for r in self.db.execute(f"SELECT id FROM sheets WHERE {where} ORDER BY id", params)]

    def browse(
        self,
        filters: dict[str, Sequence[str]],
        sort: str = "title",
        descending: bool = False,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Sheet]:
        """One page of the published sheets matching the filters, sorted and cut in SQL (any number
        of sheets); ``sort`` is a key of ``BROWSE_ORDERS``."""
        where, params = self._filter_where(filters, PUBLISHED)
        direction = " DESC" if descending else ""
        order = ", ".join(term + direction for term in BROWSE_ORDERS[sort])
        rows = self.db.execute(
            f"SELECT data FROM sheets WHERE {where} ORDER BY {order}, id{direction} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [parse_sheet(data) for (data,) in rows]

    def _filter_where(self, filters: dict[str, Sequence[str]], status: str) -> tuple[str, list[Any]]:
        """The WHERE clause (and its parameters) of the sheets with this status matching the filters."""
        clauses, params = ["status = ?"], [status]
        for name, given in filters.items():
            values: list[str | int] = [str(v) for v in given if str(v).strip()]
            if name == "year":  # integers, as stored, so that the index serves it; a non-year matches none
                values = [int(v) if str(v).isdecimal() and len(str(v)) <= 4 else -1 for v in values]
            if not values:
                continue
            marks = ", ".join("?" * len(values))
            if name in ("region", "event", "year"):
                clauses.append(f"{name} IN ({marks})")
            else:
                clauses.append(f"id IN (SELECT sheet_id FROM sheet_tags WHERE facet = ? AND value IN ({marks}))")
                params.append(name)
            params.extend(values)
        return " AND ".join(clauses), params

    def vocabulary_tags(self, sheet_ids: Sequence[str]) -> dict[str, set[str]]:
        """The vocabulary keys (themes, publics, market types, actor types) each sheet carries."""
        out: dict[str, set[str]] = {sid: set() for sid in sheet_ids}
        rows = self.db.execute(
            f"SELECT sheet_id, value FROM sheet_tags WHERE sheet_id IN {IN_JSON} AND facet IN {IN_JSON}",
            [json_list(sheet_ids), json_list(FACETS)],
        )
        for sheet_id, value in rows:
            out[sheet_id].add(value)
        return out

    def facet_counts(self, ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each filter, how many of these sheets carry each value."""
        counts: dict[str, dict[str, int]] = {name: {} for name in ("region", *FACETS, "event", "year")}
        if not ids:
            return counts
        id_list = json_list(ids)
        for column in ("region", "event", "year"):
            for value, n in self.db.execute(
                f"SELECT {column}, count(*) FROM sheets WHERE id IN {IN_JSON} AND {column} IS NOT NULL "
                f"GROUP BY {column} ORDER BY count(*) DESC, {column}",
                [id_list],
            ):
                counts[column][str(value)] = n
        for facet, value, n in self.db.execute(
            f"SELECT facet, value, count(*) FROM sheet_tags WHERE sheet_id IN {IN_JSON} "
            "GROUP BY facet, value ORDER BY count(*) DESC, value",
            [id_list],
        ):
            if facet in counts:
                counts[facet][value] = n
        return counts

    def set_status(self, sheet_id: str, status: str) -> None:
        with self.transaction():
            self.db.execute(
                """UPDATE sheets SET status = ?, updated_at = ?,
                     published_at = coalesce(published_at, CASE WHEN ? = 'published' THEN ? END) WHERE id = ?""",
                [status, at := now(), status, at, sheet_id],
            )
            self._bump_vectors_version()

    # -- dates and « En bref » ----------------------------------------------------------------
    def publication(self, sheet_id: str) -> Publication | None:
        row = self.db.execute(
            "SELECT presented_on, published_at, updated_at, summary, summary_edited FROM sheets WHERE id = ?",
            [sheet_id],
        ).fetchone()
        return Publication(row[0], row[1], row[2], row[3] or "", bool(row[4])) if row else None

    def summaries(self, sheet_ids: Sequence[str]) -> dict[str, str]:
        """« En bref » of these sheets, by id (one query, for a compendium)."""
        rows = self.db.execute(f"SELECT id, summary FROM sheets WHERE id IN {IN_JSON}", [json_list(sheet_ids)])
        return {sheet_id: summary for sheet_id, summary in rows if summary}

    def set_summary(self, sheet_id: str, summary: str | None) -> None:
        """A moderator's « En bref » for a sheet; None or blank goes back to the automatic extract."""
        with self.transaction():
            if summary and summary.strip():
                self.db.execute(
                    "UPDATE sheets SET summary = ?, summary_edited = 1 WHERE id = ?", [summary.strip(), sheet_id]
                )
                return
            row = self.db.execute("SELECT data FROM sheets WHERE id = ?", [sheet_id]).fetchone()
            if row:
                automatic = extract_summary(parse_sheet(row[0]))
                self.db.execute("UPDATE sheets SET summary = ?, summary_edited = 0 WHERE id = ?", [automatic, sheet_id])

    def latest_published(self, limit: int) -> list[tuple[Sheet, str]]:
        """The most recently published sheets with their publication time, newest first."""
        rows = self.db.execute(
            """SELECT data, published_at FROM sheets WHERE status = ? AND published_at IS NOT NULL
               ORDER BY published_at DESC, id LIMIT ?""",
            [PUBLISHED, limit],
        ).fetchall()
        return [(parse_sheet(data), at) for data, at in rows]
