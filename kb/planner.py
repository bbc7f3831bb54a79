"""The workshop planner: practices that fit a topic, distinct organisations, the region first."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from kb.knowledge_base import KnowledgeBase
from kb.search import Hit
from kb.sheet import PART_LABELS
from kb.snippets import Snippet
from kb.text import slugify, terms
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


def _common_terms(kb: KnowledgeBase, topic: str) -> set[str]:
    """The topic's words that half the published sheets or more hold (« clause sociale »): marking
    them in every proposal would point at nothing."""
    store = kb.reader()
    total = max(store.count(), 1)
    return {t for t in set(terms(topic)) if store.sheets_with_term(t) * 2 >= total}


def unmark(snippet: Snippet, common: set[str]) -> Snippet:
    """The snippet without the marks on ``common`` words."""
    if not common:
        return snippet
    return Snippet(tuple((text, marked and not set(terms(text)) <= common) for text, marked in snippet.segments))


def candidates(kb: KnowledgeBase, topic: str, region: str | None = None) -> list[Proposal]:
    """Every practice that fits ``topic``: relevant ones first by region tier (same, neighbouring,
    other), then by relevance."""
    results = kb.search(topic, limit=100)
    if not results.hits:
        return []
    common = _common_terms(kb, topic)
    for hit in results.hits:
        hit.snippet = unmark(hit.snippet, common)
    top = results.hits[0].score or 1.0
    ranked = sorted(
        enumerate(results.hits),
        key=lambda item: (item[1].score < RELEVANCE_FLOOR * top, _tier(region, item[1].sheet.region), item[0]),
    )
    return [Proposal(hit, _tier(region, hit.sheet.region)) for _, hit in ranked]


def choose(
    ranked: list[Proposal],
    speakers: int,
    allow_same_organisation: bool = False,
    excluded: Collection[str] = (),
    pinned: Collection[str] = (),
) -> tuple[list[Proposal], list[Proposal]]:
    """Up to ``speakers`` of the ranked practices, the organiser's ``pinned`` ones first and her
    ``excluded`` ones never; one per organisation unless allowed. Also the candidates left over,
    in order (to see more, or to replace one)."""
    chosen: list[Proposal] = []
    organisations: set[str] = set()
    order = [p for p in ranked if p.hit.sheet.id in pinned] + [p for p in ranked if p.hit.sheet.id not in pinned]
    for proposal in order:
        sheet = proposal.hit.sheet
        orgs = {o.casefold() for o in sheet.organisations}
        if sheet.id in excluded or (not allow_same_organisation and orgs & organisations):
            continue
        chosen.append(proposal)
        organisations |= orgs
        if len(chosen) >= speakers:
            break
    taken = {p.hit.sheet.id for p in chosen}
    return chosen, [p for p in ranked if p.hit.sheet.id not in taken and p.hit.sheet.id not in excluded]


def plan(
    kb: KnowledgeBase, topic: str, region: str | None = None, speakers: int = 3, allow_same_organisation: bool = False
) -> list[Proposal]:
    """Up to ``speakers`` practices for a workshop on ``topic`` (see ``candidates`` and ``choose``)."""
    return choose(candidates(kb, topic, region), speakers, allow_same_organisation)[0]


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


PRACTICE = re.compile(r"^\s*Pratique\s*:\s*(.+)$")
HEADING = re.compile(r"^(Atelier\s+[^)]{1,12})\)\s*(.*)$")


@dataclass
class Intervention:
    speakers: list[str] = field(default_factory=list)  # "Name, role, organisation" as typed
    practice: str | None = None
    notes: list[str] = field(default_factory=list)  # any other line the organiser wrote


@dataclass
class Programme:
    """A workshop block as the organiser edited it, read back for printing."""

    label: str  # "Atelier A", or empty when the heading has no such prefix
    title: str
    interventions: list[Intervention]

    @property
    def filename(self) -> str:
        """A download name after the workshop: atelier-a-la-mobilisation-des-publics.md"""
        return slugify(f"{self.label} {self.title}", max_length=80)


def read_block(text: str) -> Programme:
    """The edited text of ``workshop_block`` as a programme: the first line is the heading, then
    one intervention per paragraph (speaker lines, then « Pratique : … »). Lines that fit neither
    are kept as notes, so nothing the organiser wrote is lost."""
    lines = text.replace("\r\n", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    heading = lines[first].strip() if first < len(lines) else ""
    match = HEADING.match(heading)
    label, title = (match.group(1).strip(), match.group(2).strip()) if match else ("", heading)
    interventions: list[Intervention] = []
    current: Intervention | None = None
    for line in lines[first + 1 :]:
        if not line.strip():
            current = None
            continue
        if current is None:
            current = Intervention()
            interventions.append(current)
        practice = PRACTICE.match(line)
        if practice:
            current.practice = practice.group(1).strip()
        elif line[:1].isspace() or current.practice is not None:
            current.notes.append(line.strip())
        else:
            current.speakers.append(line.strip())
    return Programme(label, title, interventions)
