"""The sessions of the regional meetings for organisers: which one already discussed a subject,
and where a sheet and the programme disagree on who spoke.

Sessions are searched by the words of their title and of the themes ``meetings.yaml`` gives them
(folded French stems, the words every sheet shares left out): a small, fixed list that a person
can check, ranked by how many of the query's words each session shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.sheet import Sheet, Speaker
from kb.text import fold, terms
from kb.topics import GENERIC
from kb.vocabulary import Meeting, Session, meetings, vocabulary


@dataclass(frozen=True)
class SessionMatch:
    meeting: Meeting
    session: Session
    shared: int  # query words the session's title and themes hold


def _session_terms(session: Session) -> set[str]:
    labels = [vocabulary().label("themes", t) for t in session.themes]
    return set(terms(" ".join([session.title, *labels]))) - GENERIC


def search_sessions(query: str, limit: int = 8) -> list[SessionMatch]:
    """Sessions sharing words with ``query``, most shared first, then in the programmes' order."""
    wanted = set(terms(query)) - GENERIC
    if not wanted:
        return []
    found = [
        SessionMatch(meeting, session, len(wanted & _session_terms(session)))
        for meeting in meetings().values()
        for session in meeting.sessions
    ]
    return sorted((m for m in found if m.shared), key=lambda m: -m.shared)[:limit]


def _person(name: str) -> str:
    return " ".join(fold(name).replace("-", " ").split())


def speaker_differences(sheet: Sheet, session: Session | None) -> list[Speaker]:
    """The sheet's speakers the session's programme does not print as they are on the sheet (a
    name it does not list, or the same person with another organisation); empty when the
    programme lists nobody (nothing to disagree with)."""
    if session is None or not session.speakers:
        return []
    printed = {_person(s.name): s for s in session.speakers}
    out = []
    for speaker in sheet.speakers:
        match = printed.get(_person(speaker.name))
        if match is None or fold(match.organisation or "") != fold(speaker.organisation or ""):
            out.append(speaker)
    return out
