"""The controlled vocabulary and the regional meetings, read from the data files in ``kb/data``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kb.sheet import Speaker

DATA_DIR = Path(__file__).parent / "data"
FACETS = ("themes", "publics", "market_types", "actor_types")
# The one French name of each tag facet, wherever it is shown (facets, sheets, forms, charts).
FACET_LABELS = {
    "themes": "Thèmes",
    "publics": "Publics",
    "market_types": "Types de marchés",
    "actor_types": "Types d'acteurs",
}


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

    @property
    def heading(self) -> str:
        """« Atelier A : La mobilisation… », or « Introduction » alone when the title repeats it."""
        return (
            self.label
            if self.title.strip().casefold() == self.label.strip().casefold()
            else f"{self.label} : {self.title}"
        )


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

    @property
    def source_names(self) -> list[str]:
        """The meeting's documents as people name them (unknown ones left out, never a file name)."""
        return [name for name in map(source_name, self.sources) if name]

    @property
    def where(self) -> str:
        """The place, and « en ligne » when the place does not already say so."""
        return self.place if not self.online or "en ligne" in self.place.casefold() else f"{self.place} · en ligne"


def read_data(name: str) -> Any:
    """A YAML file of ``kb/data``, parsed with libyaml when it is there: the glossary's hundreds
    of names take 80 ms in pure Python, a cost every new ``kb`` process would pay."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((DATA_DIR / name).read_text(encoding="utf-8"), Loader=loader)  # a safe loader either way


@cache
def vocabulary() -> Vocabulary:
    raw = read_data("vocabulary.yaml")
    neighbours = {region: tuple(others) for region, others in (raw.get("neighbours") or {}).items()}
    return Vocabulary(
        terms={facet: dict(raw[facet]) for facet in FACETS}, regions=tuple(raw["regions"]), neighbours=neighbours
    )


@cache
def meetings() -> dict[str, Meeting]:
    raw = read_data("meetings.yaml")
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


@dataclass(frozen=True)
class Source:
    """A seed document as people name it (« Compte rendu de la rencontre régionale … »)."""

    file: str
    name: str
    kind: str | None = None
    meeting: str | None = None


@cache
def sources() -> dict[str, Source]:
    """The seed documents by file name, from ``kb/data/sources.yaml`` (none when it is absent)."""
    raw = read_data("sources.yaml") if (DATA_DIR / "sources.yaml").exists() else None
    return {
        file: Source(file, entry["name"], entry.get("kind"), entry.get("meeting"))
        for file, entry in (raw or {}).items()
    }


def source_name(file: str | None) -> str | None:
    """The name people give a source document; None for an unknown one (a file name is never shown)."""
    found = sources().get(file or "")
    return found.name if found else None


def with_source_names(text: str) -> str:
    """``text`` with each seed document's file name replaced by the name people give it."""
    for file, source in sources().items():
        text = text.replace(file, source.name)
    return text
