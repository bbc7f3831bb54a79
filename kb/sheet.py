"""The practice sheet: five parts (Contexte … Perspectives) plus who, where, when and themes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from kb.text import strip_controls

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


def without_controls(sheet: Sheet) -> Sheet:
    """The sheet with control characters removed from every text (what every import stores)."""
    return Sheet.from_dict(_cleaned(sheet.to_dict()))


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


_LIST_FIELDS = ("organisations", "themes", "publics", "market_types", "actor_types")
_OPTIONAL_FIELDS = ("region", "territory", "event", "workshop", "date", "source")
_SPEAKER_KEYS = {"name", "role", "organisation"}


def sheet_from_json(item: object) -> Sheet:
    """A sheet from one item of a JSON file (untrusted): every field of the right type, no
    unknown key; else ``ValueError`` saying which field and why. Values are not judged here
    (vocabulary, lengths: ``kb.validation.problems``)."""
    if not isinstance(item, dict):
        raise ValueError(f"an item is an object, not {_json_type(item)}")
    unknown = sorted(set(item) - {f.name for f in fields(Sheet)})
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(map(repr, unknown))}")
    for key in ("id", "title"):
        if not isinstance(item.get(key), str):
            raise ValueError(f"'{key}' must be a string, not {_json_type(item.get(key))}")
    for key in _OPTIONAL_FIELDS:
        if not isinstance(item.get(key), str | None):
            raise ValueError(f"'{key}' must be a string or null, not {_json_type(item[key])}")
    for key in _LIST_FIELDS:
        values = item.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"'{key}' must be a list of strings")
    speakers = item.get("speakers", [])
    if not isinstance(speakers, list) or not all(
        isinstance(sp, dict)
        and set(sp) <= _SPEAKER_KEYS
        and isinstance(sp.get("name"), str)
        and all(isinstance(sp.get(k), str | None) for k in ("role", "organisation"))
        for sp in speakers
    ):
        raise ValueError("'speakers' must be a list of objects with a string 'name', optional 'role', 'organisation'")
    sections = item.get("sections", {})
    if not isinstance(sections, dict) or not set(sections) <= set(SECTIONS):
        raise ValueError(f"'sections' must be an object with keys among {', '.join(SECTIONS)}")
    if not all(isinstance(text, str) for text in sections.values()):
        raise ValueError("every section must be a string")
    return Sheet.from_dict(item)


def _json_type(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


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
