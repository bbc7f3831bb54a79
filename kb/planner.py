"""The workshop planner: practices that fit a topic, distinct organisations, the region first."""

from __future__ import annotations

from dataclasses import dataclass

from kb.knowledge_base import KnowledgeBase
from kb.search import Hit
from kb.sheet import PART_LABELS
from kb.vocabulary import vocabulary

RELEVANCE_FLOOR = 0.5  # of the best hit's score: below it, a nearer region does not win a place
TIER_REASONS = ("même région", "région voisine", "autre région")


@dataclass
class Proposal:
    hit: Hit
    tier: int

    @property
    def reason(self) -> str:
        sheet = self.hit.sheet
        where = f"{TIER_REASONS[self.tier]} ({sheet.region})" if sheet.region else "région non précisée"
        part = PART_LABELS.get(self.hit.section or "", "fiche")
        return f"{part} : « {self.hit.snippet.text} » — {where}"


def _tier(region: str | None, candidate: str | None) -> int:
    if not region or candidate == region:
        return 0
    return 1 if candidate in vocabulary().neighbours.get(region, ()) else 2


def plan(
    kb: KnowledgeBase, topic: str, region: str | None = None, speakers: int = 3, allow_same_organisation: bool = False
) -> list[Proposal]:
    """Up to ``speakers`` practices for a workshop on ``topic``: relevant ones first by region tier
    (same, neighbouring, other), then by relevance; one per organisation unless allowed."""
    results = kb.search(topic, limit=100)
    if not results.hits:
        return []
    top = results.hits[0].score or 1.0
    ranked = sorted(
        enumerate(results.hits),
        key=lambda item: (item[1].score < RELEVANCE_FLOOR * top, _tier(region, item[1].sheet.region), item[0]),
    )
    chosen: list[Proposal] = []
    organisations: set[str] = set()
    for _, hit in ranked:
        orgs = {o.casefold() for o in hit.sheet.organisations}
        if not allow_same_organisation and orgs & organisations:
            continue
        chosen.append(Proposal(hit, _tier(region, hit.sheet.region)))
        organisations |= orgs
        if len(chosen) >= speakers:
            break
    return chosen


def workshop_block(title: str, proposals: list[Proposal], letter: str = "A") -> str:
    """The workshop as the meetings' programmes print it: "Atelier A) title", then speakers."""
    lines = [f"Atelier {letter}) {' '.join(title.split()).capitalize() if title.islower() else title.strip()}", ""]
    for proposal in proposals:
        sheet = proposal.hit.sheet
        if sheet.speakers:
            for sp in sheet.speakers:
                lines.append(", ".join(x for x in (sp.name, sp.role, sp.organisation) if x))
        else:
            lines.append(f"{', '.join(sheet.organisations)} (intervenant·e à confirmer)")
        lines.append(f"    Pratique : {sheet.title}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
