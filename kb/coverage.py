"""Coverage for organisers: themes and topics by region, what each workshop covered, the gaps."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kb.encoder import Encoder
from kb.store import Store
from kb.text import terms
from kb.topics import GENERIC, Topic
from kb.vocabulary import meetings, vocabulary


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
class Coverage:
    regions: list[str]
    themes: dict[str, Counter[str]]  # theme -> region -> published sheets
    topics: list[tuple[Topic, Counter[str]]]
    workshops: list[WorkshopCoverage]
    gaps: dict[str, list[str]] = field(default_factory=dict)  # region -> themes with practices elsewhere, none here
    no_workshop: dict[str, list[str]] = field(
        default_factory=dict
    )  # region -> themes with practices, no workshop there


def workshop_themes(encoder: Encoder, titles: list[str]) -> list[list[str]]:
    """The vocabulary themes a workshop title names: by shared word stems first, the embedding
    breaking ties and deciding when no word is shared; a second theme only when it shares as
    many words as the first (a conservative reading of titles that join two subjects)."""
    labels = vocabulary().terms["themes"]
    keys = list(labels)
    if not titles:
        return []
    theme_vectors = encoder.encode_passages([labels[k] for k in keys])
    title_vectors = encoder.encode_queries(titles)
    label_stems = [set(terms(labels[k])) - GENERIC for k in keys]
    out = []
    for title, similarities in zip(titles, title_vectors @ theme_vectors.T, strict=True):
        stems = set(terms(title)) - GENERIC
        overlap = [len(stems & ls) for ls in label_stems]
        order = sorted(range(len(keys)), key=lambda i: (-overlap[i], -similarities[i]))
        chosen = [keys[order[0]]]
        if overlap[order[1]] >= 1 and overlap[order[1]] == overlap[order[0]]:
            chosen.append(keys[order[1]])
        out.append(chosen)
    return out


def coverage(store: Store, encoder: Encoder, topic_list: list[Topic]) -> Coverage:
    sheets = store.sheets()
    theme_keys = list(vocabulary().terms["themes"])
    themes: dict[str, Counter[str]] = {k: Counter() for k in theme_keys}
    for sheet in sheets:
        for theme in sheet.themes:
            themes.setdefault(theme, Counter())[sheet.region or "—"] += 1
    sessions = [(m, s) for m in meetings().values() for s in m.sessions if s.kind in ("atelier", "table ronde")]
    nearest = workshop_themes(encoder, [s.title for _, s in sessions])
    workshops = []
    for (meeting, session), near in zip(sessions, nearest, strict=True):
        presented = [s for s in sheets if s.event == meeting.id and s.workshop == session.id]
        covered = list(dict.fromkeys([*near, *(t for s in presented for t in s.themes)]))
        workshops.append(
            WorkshopCoverage(
                meeting.id,
                meeting.title,
                meeting.region,
                session.label,
                session.title,
                covered,
                [s.id for s in presented],
            )
        )
    regions = sorted({s.region for s in sheets if s.region} | {m.region for m in meetings().values()})
    out = Coverage(regions, themes, [(t, t.regions) for t in topic_list], workshops)
    for region in regions:
        out.gaps[region] = [t for t, counts in themes.items() if sum(counts.values()) and not counts.get(region)]
        done = {t for w in workshops if w.region == region for t in w.themes}
        out.no_workshop[region] = [t for t, counts in themes.items() if sum(counts.values()) and t not in done]
    return out
