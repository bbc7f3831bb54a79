"""What a search can be asked, defined once for the library, the CLI, the web app and the API:
the filters (their URL and CLI name, the store's facet, the French label) and the modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from kb.vocabulary import FACET_LABELS

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[str, ...] = get_args(Mode)


@dataclass(frozen=True)
class Filter:
    name: str  # in URLs (?theme=…), the API and the CLI (--theme)
    facet: str  # in the store: a column of sheets or a facet of sheet_tags
    label: str  # in the interface, for one value (« Thème : Formation »)
    group: str  # in the interface, over the group of its values (« Thèmes »)


FILTER_SPECS = (
    Filter("region", "region", "Région", "Régions"),
    Filter("theme", "themes", "Thème", FACET_LABELS["themes"]),
    Filter("public", "publics", "Public", FACET_LABELS["publics"]),
    Filter("market_type", "market_types", "Type de marché", FACET_LABELS["market_types"]),
    Filter("actor_type", "actor_types", "Type d'acteur", FACET_LABELS["actor_types"]),
    Filter("event", "event", "Rencontre", "Rencontres"),
    Filter("year", "year", "Année", "Années"),
)
FILTERS: tuple[str, ...] = tuple(f.name for f in FILTER_SPECS)
FILTER_FACETS: dict[str, str] = {f.name: f.facet for f in FILTER_SPECS}
FILTER_LABELS: dict[str, tuple[str, str]] = {f.name: (f.facet, f.label) for f in FILTER_SPECS}
FILTER_GROUPS: dict[str, str] = {f.name: f.group for f in FILTER_SPECS}
