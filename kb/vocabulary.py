"""The controlled vocabulary and the regional meetings, read from the data files in ``kb/data``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from kb.sheet import Speaker

DATA_DIR = Path(__file__).parent / "data"
FACETS = ("themes", "publics", "market_types", "actor_types")


@dataclass(frozen=True)
class Vocabulary:
    """Allowed keys and French labels for each tag facet, and the list of regions."""

    terms: dict[str, dict[str, str]]
    regions: tuple[str, ...]
    neighbours: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, facet: str, key: str) -> str:
        return self.terms.get(facet, {}).get(key, key)


@dataclass(frozen=True)
class Session:
    id: str
    kind: str
    label: str
    title: str
    speakers: tuple[Speaker, ...] = ()
    time: str | None = None  # the time slot as printed, e.g. "10h15-10h30"
    themes: tuple[str, ...] = ()  # vocabulary themes the title itself names
    notes: str | None = None  # where another source disagrees with the programme, each source named


@dataclass(frozen=True)
class Meeting:
    id: str
    title: str
    region: str
    date: str | None
    date_label: str
    place: str
    online: bool
    sources: tuple[str, ...]
    sessions: tuple[Session, ...] = field(default=())

    def session(self, session_id: str | None) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)


@cache
def vocabulary() -> Vocabulary:
    raw = yaml.safe_load((DATA_DIR / "vocabulary.yaml").read_text(encoding="utf-8"))
    neighbours = {region: tuple(others) for region, others in (raw.get("neighbours") or {}).items()}
    return Vocabulary(
        terms={facet: dict(raw[facet]) for facet in FACETS}, regions=tuple(raw["regions"]), neighbours=neighbours
    )


@cache
def meetings() -> dict[str, Meeting]:
    raw = yaml.safe_load((DATA_DIR / "meetings.yaml").read_text(encoding="utf-8"))
    out = {}
    for m in raw:
        sessions = tuple(
            Session(
                id=s["id"],
                kind=s["kind"],
                label=s["label"],
                title=s["title"],
                speakers=tuple(Speaker(**sp) for sp in s.get("speakers") or ()),
                time=s.get("time"),
                themes=tuple(s.get("themes") or ()),
                notes=" ".join(str(s["notes"]).split()) if s.get("notes") else None,
            )
            for s in m["sessions"]
        )
        date = m.get("date")
        out[m["id"]] = Meeting(
            id=m["id"],
            title=m["title"],
            region=m["region"],
            date=str(date) if date else None,
            date_label=m["date_label"],
            place=m["place"],
            online=bool(m["online"]),
            sources=tuple(m["sources"]),
            sessions=sessions,
        )
    return out
