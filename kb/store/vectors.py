"""Vectors of the parts (one per part and model, float16) and the log of index changes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from kb.store.base import IN_JSON, PUBLISHED, Database, json_list

VECTOR_DTYPE = np.float16


class Vectors(Database):
    def parts_missing_vectors(self, model: str, status: str | None = None) -> list[tuple[int, str, str, str]]:
        """(part id, sheet id, section, passage hash) of the parts whose vector is absent or stale."""
        only = "AND p.sheet_id IN (SELECT id FROM sheets WHERE status = ?)" if status else ""
        return [
            (int(a), b, c, d)
            for a, b, c, d in self.db.execute(
                f"""SELECT p.id, p.sheet_id, p.section, p.passage_hash FROM parts p
                   LEFT JOIN vectors v ON v.part_id = p.id AND v.model = ? AND v.passage_hash = p.passage_hash
                   WHERE v.part_id IS NULL {only} ORDER BY p.id""",
                [model, status] if status else [model],
            )
        ]

    def save_vectors(self, model: str, rows: Sequence[tuple[int, str, np.ndarray]]) -> None:
        """Store vectors (part id, passage hash, vector) for one model, in one transaction."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO vectors (part_id, model, passage_hash, vector) VALUES (?, ?, ?, ?)",
                [(pid, model, h, np.asarray(v, dtype=VECTOR_DTYPE).tobytes()) for pid, h, v in rows],
            )
            self._bump_vectors_version()

    def drop_other_models(self, model: str) -> int:
        """Delete vectors made by any other model: vectors of two models are never mixed."""
        with self.transaction():
            n = self.db.execute("DELETE FROM vectors WHERE model != ?", [model]).rowcount
            if n:
                self._bump_vectors_version()
            return n

    def vectors(
        self, model: str, status: str | None = PUBLISHED, sheet_ids: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(part ids, matrix) of the current vectors of one model, for the given sheet status."""
        sql = """SELECT v.part_id, v.vector FROM vectors v JOIN parts p ON p.id = v.part_id
                 JOIN sheets s ON s.id = p.sheet_id
                 WHERE v.model = ? AND v.passage_hash = p.passage_hash"""
        params: list[Any] = [model]
        if status is not None:
            sql += " AND +s.status = ?" if sheet_ids is not None else " AND s.status = ?"
            params.append(status)
        if sheet_ids is not None:
            sql += f" AND p.sheet_id IN {IN_JSON}"
            params.append(json_list(sheet_ids))
        rows = self.db.execute(sql + " ORDER BY v.part_id", params).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=VECTOR_DTYPE).reshape(len(rows), -1)
        return ids, matrix.astype(np.float32)

    def part_hashes(self, sheet_id: str, model: str) -> dict[str, str]:
        """Section -> passage hash of the parts of a sheet that have a current vector."""
        return dict(
            self.db.execute(
                """SELECT p.section, p.passage_hash FROM parts p JOIN vectors v ON v.part_id = p.id
                   WHERE p.sheet_id = ? AND v.model = ? AND v.passage_hash = p.passage_hash""",
                [sheet_id, model],
            ).fetchall()
        )

    def part_vectors(self, sheet_id: str, model: str) -> np.ndarray:
        """The current vectors of one sheet's parts (rows), for one model; sentence windows left out."""
        rows = self.db.execute(
            """SELECT v.vector FROM vectors v JOIN parts p ON p.id = v.part_id
               WHERE p.sheet_id = ? AND v.model = ? AND v.passage_hash = p.passage_hash
                 AND instr(p.section, '~') = 0 ORDER BY p.id""",
            [sheet_id, model],
        ).fetchall()
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([np.frombuffer(r[0], dtype=VECTOR_DTYPE) for r in rows]).astype(np.float32)

    def vector_count(self, model: str) -> int:
        """Current vectors of one model for the published sheets (what the index should hold)."""
        return int(
            self.db.execute(
                """SELECT count(*) FROM vectors v JOIN parts p ON p.id = v.part_id JOIN sheets s ON s.id = p.sheet_id
                   WHERE v.model = ? AND v.passage_hash = p.passage_hash AND s.status = ?""",
                [model, PUBLISHED],
            ).fetchone()[0]
        )

    def log_index_change(self, version_before: int, sheet_id: str, removed: Sequence[int]) -> None:
        """Record, inside the change's transaction, which sheet's vectors changed and which part ids
        left, so other processes can patch their index instead of reloading it."""
        self.db.execute(
            "INSERT INTO index_log (version_before, version_after, sheet_id, removed) VALUES (?, ?, ?, ?)",
            [version_before, self.vectors_version, sheet_id, json.dumps([int(i) for i in removed])],
        )

    def index_changes(self, since: int) -> list[tuple[int, int, str, list[int]]]:
        """(version before, version after, sheet id, removed part ids) of the changes after ``since``."""
        return [
            (a, b, c, json.loads(d))
            for a, b, c, d in self.db.execute(
                "SELECT version_before, version_after, sheet_id, removed FROM index_log WHERE version_after > ? "
                "ORDER BY id",
                [since],
            )
        ]

    def index_change_count(self, since: int) -> int:
        return int(self.db.execute("SELECT count(*) FROM index_log WHERE version_after > ?", [since]).fetchone()[0])

    def prune_index_log(self, upto: int) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM index_log WHERE version_after <= ?", [upto])
