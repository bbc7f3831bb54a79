"""The moderation journal in French: what happened, to which sheet, which fields, when."""

from __future__ import annotations

import json
from typing import Any

from kb.french import format_datetime
from kb.sheet import SECTIONS

# Audit action -> what happened to the sheet, as a moderator says it.
ACTIONS = {
    "submit": "envoyée par un·e contributeur·rice",
    "propose_update": "mise à jour proposée",
    "publish": "publiée",
    "unpublish": "dépubliée",
    "reject": "refusée",
    "edit": "modifiée",
    "merge": "complétée par une fusion",
    "merged": "fusionnée dans une fiche publiée",
    "apply_update": "mise à jour appliquée",
    "update_applied": "mise à jour reportée sur la fiche publiée",
}
# Sheet field -> its name on the form (sections by their headings).
FIELDS = {
    "title": "Titre",
    "organisations": "Structures porteuses",
    "speakers": "Intervenant·es",
    "region": "Région",
    "territory": "Territoire",
    "event": "Rencontre",
    "workshop": "Atelier",
    "date": "Date de la pratique",
    "themes": "Thèmes",
    "publics": "Publics",
    "market_types": "Types de marchés",
    "actor_types": "Types d'acteurs",
    "source": "Source",
    **SECTIONS,
}


def flatten(data: dict[str, Any] | None) -> dict[str, Any]:
    """A stored sheet with its sections as fields of their own."""
    data = dict(data or {})
    sections = data.pop("sections", None) or {}
    return {**data, **sections}


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """Names (as the form labels them) of the fields that differ, in the form's order."""
    old, new = flatten(before), flatten(after)
    if before is None or after is None or before == after:
        return []
    return [label for key, label in FIELDS.items() if old.get(key) != new.get(key)]


def entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    """One audit row as the journal shows it."""
    before, after = (json.loads(entry[k]) if entry[k] else None for k in ("before", "after"))
    return {
        **entry,
        "when": format_datetime(entry["at"]),
        "what": ACTIONS.get(entry["action"], entry["action"]),
        "title": (after or before or {}).get("title") or entry["sheet_id"],
        "changed": changed_fields(before, after),
    }


def _shown(value: Any) -> str:
    """A field's value as text a moderator reads (lists one per line)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(
            ", ".join(str(v) for v in item.values() if v) if isinstance(item, dict) else str(item) for item in value
        )
    return str(value)


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field as the form names it, old text, new text) for every field that differs."""
    old, new = flatten(before), flatten(after)
    return [
        (label, _shown(old.get(key)), _shown(new.get(key)))
        for key, label in FIELDS.items()
        if key != "source" and old.get(key) != new.get(key)
    ]
