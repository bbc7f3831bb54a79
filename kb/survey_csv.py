"""The national survey's spreadsheet export (CSV) <-> sheets.

UTF-8 (with or without BOM) or Windows-1252; comma or semicolon. Headers are French and matched
without regard to case or accents (README, "Importing"). Lists inside a cell are separated by
";" (or new lines); a speaker is "Nom, fonction, structure". Vocabulary cells accept the key or
the French label. Contact columns are private: they go to the moderators only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from kb.csv_cells import neutralise, restore
from kb.files import FileRefused, read_limited
from kb.markdown_io import SheetError
from kb.sheet import SECTIONS, Sheet, format_speaker, parse_speaker
from kb.text import fold, slugify
from kb.validation import problems
from kb.vocabulary import FACETS, vocabulary

# canonical column -> accepted headers (folded)
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("identifiant", "id"),
    "title": ("titre", "titre de la pratique", "intitule"),
    "organisations": ("structures", "structure(s)", "structure", "structure(s) porteuse(s)", "organisations"),
    "speakers": ("intervenants", "intervenant(s)", "intervenant·es", "intervenant.e.s"),
    "region": ("region",),
    "territory": ("territoire",),
    "themes": ("themes", "theme(s)"),
    "publics": ("publics", "public(s)"),
    "market_types": ("types de marches", "type(s) de marche(s)", "marches"),
    "actor_types": ("types d'acteurs", "type(s) d'acteur(s)", "acteurs"),
    "date": ("date",),
    "context": ("contexte",),
    "objectives": ("objectifs",),
    "actions": ("actions menees", "actions"),
    "advice": ("conseils",),
    "outlook": ("perspectives",),
    "contact_name": ("nom du contact", "contact", "personne a contacter"),
    "contact_email": ("e-mail du contact", "email du contact", "courriel", "e-mail", "email"),
}
EXPORT_HEADERS = {
    "id": "Identifiant",
    "title": "Titre",
    "organisations": "Structures",
    "speakers": "Intervenants",
    "region": "Région",
    "territory": "Territoire",
    "themes": "Thèmes",
    "publics": "Publics",
    "market_types": "Types de marchés",
    "actor_types": "Types d'acteurs",
    "date": "Date",
    **{key: heading for key, heading in SECTIONS.items()},
}


@dataclass
class CsvRow:
    line: int
    sheet: Sheet
    contact_name: str | None
    contact_email: str | None


@dataclass
class CsvReport:
    rows: list[CsvRow] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def _split(cell: str) -> list[str]:
    return [" ".join(p.split()) for p in cell.replace("\n", ";").split(";") if p.strip()]


def _lookup(facet: str, value: str) -> str | None:
    terms = vocabulary().terms[facet]
    wanted = fold(value).strip()
    for key, label in terms.items():
        if wanted in (fold(key), fold(label)):
            return key
    return None


def _region(value: str) -> str | None:
    return next((r for r in vocabulary().regions if fold(r) == fold(value).strip()), None)


def read_csv(path: str | os.PathLike[str]) -> CsvReport:
    """Rows that make valid sheets, and a reason with its line number for every other row."""
    path = Path(path)
    report = CsvReport()
    try:
        data = read_limited(path, "csv")
    except FileRefused as exc:
        report.errors.append(SheetError(path, exc.reason))
        return report
    if b"\x00" in data:
        report.errors.append(SheetError(path, "binary content (NUL byte), not a CSV file"))
        return report
    try:
        text = decode(data)
    except UnicodeDecodeError:
        report.errors.append(SheetError(path, "neither UTF-8 nor Windows-1252 text"))
        return report
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        report.errors.append(SheetError(path, "empty file"))
        return report
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = next((k for k, names in COLUMNS.items() if fold(name).strip() in names), None)
        if key and key not in columns:
            columns[key] = index
    if "title" not in columns:
        report.errors.append(SheetError(f"{path}:1", "no 'Titre' column in the header"))
        return report
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.errors.append(SheetError(f"{path}:{line}", f"malformed CSV ({exc})"))
            continue
        line = reader.line_num
        row = {key: (restore(cells[i]).strip() if i < len(cells) else "") for key, i in columns.items()}
        if not any(row.values()):
            report.errors.append(SheetError(f"{path}:{line}", "empty row, skipped"))
            continue
        try:
            report.rows.append(_row(row, line, path.name))
        except ValueError as exc:
            report.errors.append(SheetError(f"{path}:{line}", str(exc)))
    return report


def _row(row: dict[str, str], line: int, source: str) -> CsvRow:
    reasons = []
    tags: dict[str, list[str]] = {}
    for facet in FACETS:
        keys = []
        for value in _split(row.get(facet, "")):
            key = _lookup(facet, value)
            if key is None:
                reasons.append(f"unknown {facet.replace('_', ' ')} {value!r}")
            elif key not in keys:
                keys.append(key)
        tags[facet] = keys
    region = _region(row["region"]) if row.get("region") else None
    if row.get("region") and region is None:
        reasons.append(f"unknown region {row['region']!r}")
    speakers = [parse_speaker(entry) for entry in _split(row.get("speakers", "").replace("|", ";"))]
    sheet = Sheet(
        id="",
        title=" ".join(row.get("title", "").split()),
        organisations=_split(row.get("organisations", "")),
        speakers=speakers,
        region=region,
        territory=row.get("territory") or None,
        date=row.get("date") or None,
        source=source,
        sections={key: row.get(key, "") for key in SECTIONS},
        **tags,
    )
    digest = hashlib.sha256(repr(sheet.to_dict()).encode()).hexdigest()[:8]
    sheet.id = row.get("id") or f"{slugify(sheet.title, 50)}-{digest}"
    reasons += problems(sheet)
    if reasons:
        raise ValueError("; ".join(reasons))
    email = row.get("contact_email") or None
    if email and ("@" not in email or len(email) > 200):
        raise ValueError(f"invalid contact e-mail {email!r}")
    return CsvRow(line, sheet, row.get("contact_name") or None, email)


def write_csv(sheets: list[Sheet], handle: io.TextIOBase) -> None:
    """The survey's columns (without the private contact), UTF-8, comma-separated; no cell is
    a formula (``kb.csv_cells``)."""
    writer = csv.writer(handle)
    writer.writerow(EXPORT_HEADERS.values())
    vocab = vocabulary()
    for s in sheets:
        cells = (
            s.id,
            s.title,
            "; ".join(s.organisations),
            "; ".join(format_speaker(sp) for sp in s.speakers),
            s.region or "",
            s.territory or "",
            *("; ".join(vocab.label(f, k) for k in getattr(s, f)) for f in FACETS),
            s.date or "",
            *(s.sections[k] for k in SECTIONS),
        )
        writer.writerow([neutralise(cell) for cell in cells])
