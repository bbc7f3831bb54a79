"""Meeting reports (comptes rendus, text or Markdown, like ``shared/seeds/004_…``) -> draft sheets.

A report is a run of blocks, each under a workshop heading ("Atelier A) Titre"), with speaker
lines ("Nom, fonction, structure", or "Nom, structure" then the role on the next line) followed
by the five-part bullets ("- **Contexte** : …"). Each block with parts becomes a sheet linked to
its meeting and workshop; blocks without the five-part bullets (speeches, round tables) are left
for a person to transcribe.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from kb.files import FileRefused, read_limited
from kb.markdown_io import SheetError
from kb.sheet import SECTIONS, Sheet, Speaker
from kb.text import fold, slugify
from kb.validation import problems
from kb.vocabulary import Meeting, meetings

# Every pattern runs in linear time on any line (a report is untrusted input): possessive
# quantifiers (``*+``, ``++``) never give back what they matched, so no two runs of spaces can
# trade characters; lines are stripped before matching, so no pattern needs trailing ``\s*$``.
_WORKSHOP = re.compile(r"Atelier\s++(?:n°\s*+)?([A-Z0-9]++)\)?\s*+[).:–-]?\s*+(\S.*+)")
_BULLET = re.compile(r"[-*•]\s*+\*\*(?P<head>[^*]++)\*\*\s*+:?\s*+(?P<text>.*+)")
_SKIP = re.compile(r"(compte rendu|rencontre r[ée]gionale|le \d++ \w++ \d{4}|merci)", re.IGNORECASE)
_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}


@dataclass
class ReportResult:
    sheets: list[Sheet] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)
    meeting: Meeting | None = None


def _section_of(heading: str) -> str | None:
    h = fold(heading)
    if "contexte" in h:
        return "context"
    if "objectif" in h:
        return "objectives"
    if "action" in h:
        return "actions"
    if "conseil" in h:
        return "advice"
    if "perspective" in h:
        return "outlook"
    return None


def find_meeting(text: str) -> Meeting | None:
    """The meeting whose region and date the report names."""
    folded = fold(text[:3000])
    date = re.search(r"\b(\d{1,2})(?:er)?\s+([a-z]+)\s+(\d{4})\b", folded)
    iso = None
    if date and date.group(2) in _MONTHS:
        iso = f"{date.group(3)}-{_MONTHS[date.group(2)]:02d}-{int(date.group(1)):02d}"
    for meeting in meetings().values():
        region_words = fold(meeting.region).replace("-", " ")
        if region_words in folded.replace("-", " ") and (iso is None or meeting.date in (None, iso)):
            return meeting
    return None


def _speakers(lines: list[str]) -> list[Speaker]:
    out: list[Speaker] = []
    for line in lines:
        parts = [p.strip() for p in line.split(",") if p.strip()]
        if len(parts) >= 3:
            out.append(Speaker(parts[0], ", ".join(parts[1:-1]), parts[-1]))
        elif len(parts) == 2:
            out.append(Speaker(parts[0], None, parts[1]))
        elif len(parts) == 1 and out and out[-1].role is None:
            out[-1] = Speaker(out[-1].name, parts[0], out[-1].organisation)  # role on the next line
    return out


def parse_report(text: str, source: str) -> ReportResult:
    meeting = find_meeting(text)
    result = ReportResult(meeting=meeting)
    blocks: list[tuple[str, str, list[str]]] = []  # (workshop code, title, lines)
    for raw in text.splitlines():
        line = raw.strip()
        heading = _WORKSHOP.match(line)
        if heading:
            blocks.append((heading.group(1), heading.group(2).rstrip(), []))
        elif blocks:
            blocks[-1][2].append(line)
    for number, (code, workshop_title, lines) in enumerate(blocks, 1):
        people: list[str] = []
        sections = dict.fromkeys(SECTIONS, "")
        current: str | None = None
        for line in lines:
            bullet = _BULLET.match(line)
            if bullet:
                current = _section_of(bullet.group("head").strip())
                if current is not None:
                    sections[current] = bullet.group("text").strip()
                    continue
            if current is None:
                if line and not _SKIP.match(line):
                    people.append(line.strip("* "))
            elif line:
                sections[current] = f"{sections[current]}\n{line}".strip()
        if not any(sections.values()):
            continue
        speakers = _speakers(people)
        organisations = list(dict.fromkeys(s.organisation for s in speakers if s.organisation))
        session = meeting.session(f"atelier-{code.lower()}") if meeting else None
        title = f"{workshop_title} — {', '.join(organisations) or 'pratique ' + str(number)}"
        sheet = Sheet(
            id="",
            title=title[:200],
            organisations=organisations,
            speakers=speakers,
            region=meeting.region if meeting else None,
            event=meeting.id if meeting else None,
            workshop=session.id if session else None,
            date=meeting.date if meeting else None,
            source=source,
            sections=sections,
        )
        digest = hashlib.sha256(repr(sheet.to_dict()).encode()).hexdigest()[:6]
        sheet.id = f"{slugify('atelier-' + code + '-' + '-'.join(organisations), 60)}-{digest}"
        reasons = problems(sheet)
        if reasons:
            result.errors.append(SheetError(f"{source}: Atelier {code}", "; ".join(reasons)))
        else:
            result.sheets.append(sheet)
    return result


def read_report(path: str | os.PathLike[str]) -> ReportResult:
    path = Path(path)
    try:
        data = read_limited(path, "report")
    except FileRefused as exc:
        return ReportResult(errors=[SheetError(path, exc.reason)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ReportResult(errors=[SheetError(path, "not valid UTF-8 text")])
    return parse_report(text, path.name)
