"""Checks a sheet against the controlled vocabulary and the meetings data.

Used by every way in (Markdown files, imports, the web form), so each reports the same reasons.
"""

from __future__ import annotations

import datetime as dt
import re

from kb.sheet import SHEET_ID, Sheet
from kb.vocabulary import FACETS, meetings, vocabulary

MAX_FIELD = 200
MAX_SECTION = 20_000


def valid_date(text: str) -> bool:
    """A year (2022), a month (2022-05) or a day (2022-05-10): a sheet is dated as precisely as known."""
    try:
        if re.fullmatch(r"\d{4}", text):
            return 1900 <= int(text) <= 2100
        if re.fullmatch(r"\d{4}-\d{2}", text):
            dt.date.fromisoformat(text + "-01")
            return True
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def problems(sheet: Sheet) -> list[str]:
    """Every reason this sheet is invalid, in English; empty when it is valid."""
    out: list[str] = []
    if not SHEET_ID.match(sheet.id or ""):
        out.append(f"invalid sheet id {sheet.id!r}: use lower-case letters, digits and hyphens")
    if not sheet.title.strip():
        out.append("missing title")
    if len(sheet.title) > MAX_FIELD:
        out.append(f"title longer than {MAX_FIELD} characters")
    vocab = vocabulary()
    for facet in FACETS:
        unknown = [key for key in getattr(sheet, facet) if key not in vocab.terms[facet]]
        if unknown:
            out.append(
                f"unknown {facet.replace('_', ' ')}: {', '.join(map(str, unknown))} (see kb/data/vocabulary.yaml)"
            )
    if sheet.region is not None and sheet.region not in vocab.regions:
        out.append(f"unknown region {sheet.region!r}")
    if sheet.event is not None:
        meeting = meetings().get(sheet.event)
        if meeting is None:
            out.append(f"unknown event {sheet.event!r} (see kb/data/meetings.yaml)")
        elif sheet.workshop is not None and meeting.session(sheet.workshop) is None:
            out.append(f"unknown workshop {sheet.workshop!r} for event {sheet.event!r}")
    elif sheet.workshop is not None:
        out.append("a workshop needs an event")
    if sheet.date is not None and not valid_date(sheet.date):
        out.append(f"invalid date {sheet.date!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    for key, text in sheet.sections.items():
        if len(text) > MAX_SECTION:
            out.append(f"section {key} longer than {MAX_SECTION} characters")
    for speaker in sheet.speakers:
        if not speaker.name.strip():
            out.append("a speaker without a name")
    return out
