"""Coverage for organisers: themes by region, what each session of the meetings treated, and the
real gaps.

A session treats the themes its entry in ``kb/data/meetings.yaml`` names (``themes:``, given
where the session's title names its subject): one method for every session, no guessing. Two
kinds of gap are highlighted:

- **à documenter**: a theme a session of this region's meeting treated that no sheet of the
  region documents (e.g. « La formation comme levier d'insertion », Hauts-de-France's workshop
  n°2, which no sheet documents at all);
- **à développer**: a theme documented in other regions but not in this one, for regions that
  have sheets (a region with none is said once, not flagged in every cell).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kb.store import Store
from kb.topics import Topic
from kb.vocabulary import meetings, vocabulary

WORKSHOP_KINDS = ("atelier", "table ronde")  # listed even when their title names no theme
UNDOCUMENTED = "à documenter"
ELSEWHERE = "à développer"


@dataclass
class WorkshopCoverage:
    meeting_id: str
    meeting_title: str
    region: str
    session_label: str
    session_title: str
    themes: list[str]
    practices: list[str]


@dataclass
class Cell:
    """One theme in one region."""

    count: int  # published sheets
    sessions: list[str] = field(default_factory=list)  # labels of the region's sessions that treated it
    gap: str | None = None  # UNDOCUMENTED, ELSEWHERE or None


@dataclass
class Coverage:
    regions: list[str]
    themes: dict[str, Counter[str]]  # theme -> region -> published sheets
    topics: list[tuple[Topic, Counter[str]]]
    workshops: list[WorkshopCoverage]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (theme, region)
    without_sheets: list[str] = field(default_factory=list)  # regions with no published sheet

    def gaps(self, region: str, kind: str) -> list[str]:
        return [t for t in self.themes if self.cells[(t, region)].gap == kind]


def coverage(store: Store, topic_list: list[Topic]) -> Coverage:
    sheets = store.sheets()
    themes: dict[str, Counter[str]] = {k: Counter() for k in vocabulary().terms["themes"]}
    for sheet in sheets:
        for theme in sheet.themes:
            themes.setdefault(theme, Counter())[sheet.region or "—"] += 1
    workshops = []
    for meeting in meetings().values():
        for session in meeting.sessions:
            if not session.themes and session.kind not in WORKSHOP_KINDS:
                continue
            presented = [s.id for s in sheets if s.event == meeting.id and s.workshop == session.id]
            workshops.append(
                WorkshopCoverage(
                    meeting.id,
                    meeting.title,
                    meeting.region,
                    session.label,
                    session.title,
                    list(session.themes),
                    presented,
                )
            )
    regions = sorted({s.region for s in sheets if s.region} | {m.region for m in meetings().values()})
    documented = {s.region for s in sheets if s.region}
    out = Coverage(regions, themes, [(t, t.regions) for t in topic_list], workshops)
    out.without_sheets = [r for r in regions if r not in documented]
    for region in regions:
        for theme, counts in themes.items():
            treated = [w.session_label for w in workshops if w.region == region and theme in w.themes]
            cell = Cell(counts.get(region, 0), treated)
            if treated and not cell.count:
                cell.gap = UNDOCUMENTED
            elif region in documented and not cell.count and sum(counts.values()):
                cell.gap = ELSEWHERE
            out.cells[(theme, region)] = cell
    return out
