"""The practice sheet: five parts (Contexte … Perspectives) plus who, where, when and themes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Section key -> the French heading used in the Markdown files and the interface.
SECTIONS: dict[str, str] = {
    "context": "Contexte",
    "objectives": "Objectifs",
    "actions": "Actions menées",
    "advice": "Conseils",
    "outlook": "Perspectives",
}
# The title is indexed and searched as a part of its own.
PART_LABELS: dict[str, str] = {"title": "Titre", **SECTIONS}
SHEET_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")


@dataclass(frozen=True)
class Speaker:
    """Someone who presented the practice, with the role and organisation as printed."""

    name: str
    role: str | None = None
    organisation: str | None = None


@dataclass
class Sheet:
    """A practice sheet; ``id`` is the Markdown file's stem."""

    id: str
    title: str
    organisations: list[str] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    region: str | None = None
    territory: str | None = None
    event: str | None = None
    workshop: str | None = None
    date: str | None = None
    themes: list[str] = field(default_factory=list)
    publics: list[str] = field(default_factory=list)
    market_types: list[str] = field(default_factory=list)
    actor_types: list[str] = field(default_factory=list)
    source: str | None = None
    sections: dict[str, str] = field(default_factory=lambda: dict.fromkeys(SECTIONS, ""))

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    def parts(self) -> dict[str, str]:
        """Searchable parts, title first; empty parts left out."""
        parts = {"title": self.title, **self.sections}
        return {key: text for key, text in parts.items() if text.strip()}

    def missing_parts(self) -> list[str]:
        """Headings of the parts the source leaves empty (« Non renseigné : Conseils, Perspectives »)."""
        return [heading for key, heading in SECTIONS.items() if not self.sections.get(key, "").strip()]

    def metadata(self) -> dict[str, Any]:
        """The front matter, in the canonical key order (everything but id and sections)."""
        data = asdict(self)
        del data["id"], data["sections"]
        data["speakers"] = [{k: v for k, v in sp.items() if v is not None} for sp in data["speakers"]]
        return data

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.metadata(), "sections": dict(self.sections)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sheet:
        """Inverse of ``to_dict`` (trusted input: the store and exports)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["speakers"] = [Speaker(**sp) for sp in values.get("speakers") or []]
        values["sections"] = {key: (data.get("sections") or {}).get(key, "") for key in SECTIONS}
        return cls(**values)


METADATA_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Sheet) if f.name not in ("id", "sections"))


def parse_speaker(text: str) -> Speaker:
    """ "Nom, fonction, structure" -> Speaker; the structure is the last field, the function is
    everything between (functions often contain commas); "Nom, fonction" has no structure."""
    parts = [p.strip() for p in text.split(",")]
    name = parts[0] or text.strip()
    if len(parts) == 1:
        return Speaker(name)
    if len(parts) == 2:
        return Speaker(name, parts[1] or None)
    return Speaker(name, ", ".join(parts[1:-1]).strip(" ,") or None, parts[-1] or None)


def format_speaker(speaker: Speaker) -> str:
    """Inverse of ``parse_speaker``."""
    if speaker.organisation:
        return f"{speaker.name}, {speaker.role or ''}, {speaker.organisation}"
    return f"{speaker.name}, {speaker.role}" if speaker.role else speaker.name
