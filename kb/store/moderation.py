"""Contributions and moderation: submissions (contacts kept private), moderators, the audit
log, topic names and contact requests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.store.base import Database, now


@dataclass(frozen=True)
class ContactRequest:
    """Someone asks to be put in touch with the people behind a sheet (seen by moderators only)."""

    id: int
    sheet_id: str
    name: str
    email: str
    message: str
    created_at: str
    handled_at: str | None
    handled_by: str | None


@dataclass(frozen=True)
class Submission:
    """A sheet sent through the form: its contributor's contact (private) and private link."""

    token: str
    sheet_id: str
    contact_name: str
    contact_email: str
    created_at: str
    similar: list[dict[str, Any]]
    reason: str | None
    target_id: str | None = None  # the published sheet this submission proposes to update


class Moderation(Database):
    # -- submissions ---------------------------------------------------------------------------
    def add_submission(
        self,
        token: str,
        sheet_id: str,
        name: str,
        email: str,
        similar: Sequence[dict[str, Any]],
        target_id: str | None = None,
    ) -> None:
        at = now()
        self.db.execute(
            "INSERT INTO submissions (token, sheet_id, contact_name, contact_email, consent_at, created_at, similar, "
            "target_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [token, sheet_id, name, email, at, at, json.dumps(list(similar), ensure_ascii=False), target_id],
        )

    def submission(self, token: str) -> Submission | None:
        row = self.db.execute(
            "SELECT token, sheet_id, contact_name, contact_email, created_at, similar, reason, target_id "
            "FROM submissions WHERE token = ?",
            [token],
        ).fetchone()
        return Submission(*row[:5], json.loads(row[5]), row[6], row[7]) if row else None

    def submission_for(self, sheet_id: str) -> Submission | None:
        row = self.db.execute("SELECT token FROM submissions WHERE sheet_id = ?", [sheet_id]).fetchone()
        return self.submission(row[0]) if row else None

    def set_submission_reason(self, sheet_id: str, reason: str) -> None:
        self.db.execute("UPDATE submissions SET reason = ? WHERE sheet_id = ?", [reason, sheet_id])

    # -- moderators ----------------------------------------------------------------------------
    def password_hash(self, user: str) -> str | None:
        row = self.db.execute("SELECT password_hash FROM users WHERE name = ?", [user]).fetchone()
        return row[0] if row else None

    def add_user(self, name: str, password_hash: str) -> bool:
        """False when a moderator has this name already."""
        with self.transaction():
            if self.password_hash(name) is not None:
                return False
            self.db.execute(
                "INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)", [name, password_hash, now()]
            )
            return True

    def session_version(self, user: str) -> int | None:
        """The moderator's current session version (None: no such moderator)."""
        row = self.db.execute("SELECT session_version FROM users WHERE name = ?", [user]).fetchone()
        return None if row is None else int(row[0])

    def end_sessions(self, user: str, password_hash: str | None = None) -> bool:
        """Invalidate every session of the moderator (and set a new password hash when given)."""
        with self.transaction():
            changed = self.db.execute(
                "UPDATE users SET session_version = session_version + 1, "
                "password_hash = coalesce(?, password_hash) WHERE name = ?",
                [password_hash, user],
            ).rowcount
        return bool(changed)

    # -- audit log -----------------------------------------------------------------------------
    def add_audit(
        self, user: str, action: str, sheet_id: str | None, before: str | None, after: str | None, note: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO audit_log (at, user, action, sheet_id, before, after, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [now(), user, action, sheet_id, before, after, note],
        )

    def audit_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        """The latest entries first, as column -> value."""
        cursor = self.db.execute(
            "SELECT id, at, user, action, sheet_id, before, after, note FROM audit_log ORDER BY id DESC LIMIT ?",
            [limit],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # -- topic names ---------------------------------------------------------------------------
    def topic_names(self) -> list[tuple[str, set[str]]]:
        """(name, members when named), the latest first."""
        rows = self.db.execute("SELECT name, members FROM topic_names ORDER BY id DESC").fetchall()
        return [(name, set(json.loads(members))) for name, members in rows]

    def topic_name_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM topic_names").fetchone()[0])

    def add_topic_name(self, name: str, members: Sequence[str], user: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO topic_names (name, members, named_by, named_at) VALUES (?, ?, ?, ?)",
                [name, json.dumps(sorted(members)), user, now()],
            )

    def topic_map(self) -> tuple[dict[str, str], dict[str, str], str | None]:
        """Each mapped sheet's topic, each topic's label, and the model the map was made with."""
        members = dict(self.db.execute("SELECT sheet_id, topic FROM topic_map").fetchall())
        labels = dict(self.db.execute("SELECT topic, label FROM topic_labels").fetchall())
        row = self.db.execute("SELECT value FROM meta WHERE key = 'topic_model'").fetchone()
        return members, labels, row[0] if row else None

    def save_topic_map(self, members: dict[str, str], labels: dict[str, str], model: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM topic_map")
            self.db.execute("DELETE FROM topic_labels")
            self.db.executemany("INSERT INTO topic_map VALUES (?, ?)", sorted(members.items()))
            self.db.executemany("INSERT INTO topic_labels VALUES (?, ?)", sorted(labels.items()))
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('topic_model', ?)", [model])
            self.db.execute(
                "INSERT INTO meta VALUES ('topic_map_version', '1') "
                "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )

    @property
    def topic_state(self) -> tuple[int, int]:
        """Changes when the topic map is saved or a topic is named: other processes recompute."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'topic_map_version'").fetchone()
        return int(row[0]) if row else 0, self.topic_name_count()

    # -- contact requests ------------------------------------------------------------------------
    def add_contact_request(self, sheet_id: str, name: str, email: str, message: str) -> int:
        with self.transaction():
            return int(
                self.db.execute(
                    """INSERT INTO contact_requests (sheet_id, name, email, message, created_at)
                       VALUES (?, ?, ?, ?, ?)""",
                    [sheet_id, name, email, message, now()],
                ).lastrowid
            )

    def contact_requests(self, handled: bool | None = None) -> list[ContactRequest]:
        """Requests, oldest first; ``handled`` False for the open ones, True for the closed ones."""
        where = {None: "", False: " WHERE handled_at IS NULL", True: " WHERE handled_at IS NOT NULL"}[handled]
        rows = self.db.execute(
            "SELECT id, sheet_id, name, email, message, created_at, handled_at, handled_by "
            f"FROM contact_requests{where} ORDER BY id"
        ).fetchall()
        return [ContactRequest(*row) for row in rows]

    def contact_request(self, request_id: int) -> ContactRequest | None:
        row = self.db.execute(
            "SELECT id, sheet_id, name, email, message, created_at, handled_at, handled_by "
            "FROM contact_requests WHERE id = ?",
            [request_id],
        ).fetchone()
        return ContactRequest(*row) if row else None

    def mark_contact_handled(self, request_id: int, user: str) -> bool:
        """Close an open request; False if there is none open with this id."""
        with self.transaction():
            return (
                self.db.execute(
                    "UPDATE contact_requests SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at IS NULL",
                    [now(), user, request_id],
                ).rowcount
                > 0
            )
