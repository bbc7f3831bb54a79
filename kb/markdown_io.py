"""Reads and writes practice sheets as Markdown files with YAML front matter.

The writer is canonical (fixed key order, every section heading present), so a file it wrote
reads back to an equal sheet and writes back byte for byte. The reader never raises anything but
``SheetError``, whose message names the file and the reason.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from kb.files import FileRefused, read_limited, write_atomic
from kb.sheet import METADATA_KEYS, SECTIONS, Sheet, Speaker
from kb.validation import problems

_HEADINGS = {heading.casefold(): key for key, heading in SECTIONS.items()}
_LIST_KEYS = ("organisations", "themes", "publics", "market_types", "actor_types")
_TEXT_KEYS = ("title", "region", "territory", "event", "workshop", "source")


class SheetError(ValueError):
    """A sheet file that cannot be loaded; ``str()`` gives path and reason."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class LoadReport:
    sheets: list[Sheet]
    errors: list[SheetError]


def dump_sheet(sheet: Sheet) -> str:
    """The canonical Markdown text of a sheet."""
    meta = yaml.safe_dump(sheet.metadata(), sort_keys=False, allow_unicode=True, width=1_000_000)
    body = "\n\n".join(
        f"## {heading}\n\n{sheet.sections.get(key, '').strip()}".rstrip() for key, heading in SECTIONS.items()
    )
    return f"---\n{meta}---\n\n{body}\n"


def parse_sheet(text: str, sheet_id: str, path: str | os.PathLike[str] = "<text>") -> Sheet:
    """Parse Markdown text into a valid sheet, or raise ``SheetError``."""
    if "\x00" in text:
        raise SheetError(path, "binary content (NUL byte), not a Markdown sheet")
    if not text.lstrip("\ufeff").startswith("---"):
        raise SheetError(path, "missing YAML front matter (the file must start with '---')")
    handler = YAMLHandler()
    try:
        front, content = handler.split(text.lstrip("\ufeff"))
    except ValueError:
        raise SheetError(path, "the front matter is not closed by a '---' line") from None
    try:
        meta = handler.load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise SheetError(path, f"invalid YAML front matter{where}: {getattr(exc, 'problem', None) or exc}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SheetError(path, "the front matter must be a mapping of keys to values")
    unknown = sorted(set(map(str, meta)) - set(METADATA_KEYS))
    if unknown:
        raise SheetError(path, f"unknown front matter key(s): {', '.join(unknown)}")
    sheet = Sheet(id=sheet_id, **_coerce(meta, path))
    sheet.sections = _split_sections(content, path)
    reasons = problems(sheet)
    if reasons:
        raise SheetError(path, "; ".join(reasons))
    return sheet


def _coerce(meta: dict[str, Any], path: str | os.PathLike[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        value = meta.get(key)
        if value is not None and not isinstance(value, (str, int, float)):
            raise SheetError(path, f"{key} must be text")
        out[key] = None if value is None else " ".join(str(value).split())
    out["title"] = out["title"] or ""
    for key in _LIST_KEYS:
        value = meta.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise SheetError(path, f"{key} must be a list of texts")
        out[key] = [" ".join(str(v).split()) for v in value]
    date = meta.get("date")
    if isinstance(date, (dt.date, dt.datetime)):
        date = date.isoformat()[:10]
    out["date"] = None if date is None else str(date)
    speakers = meta.get("speakers") or []
    if not isinstance(speakers, list) or not all(isinstance(s, dict) and s.get("name") for s in speakers):
        raise SheetError(path, "speakers must be a list of {name, role, organisation}")
    try:
        out["speakers"] = [Speaker(**{k: (None if v is None else str(v)) for k, v in s.items()}) for s in speakers]
    except TypeError:
        raise SheetError(path, "a speaker may only have name, role and organisation") from None
    return out


def _split_sections(content: str, path: str | os.PathLike[str]) -> dict[str, str]:
    sections = dict.fromkeys(SECTIONS, "")
    seen: set[str] = set()
    current: str | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            sections[current] = "\n".join(lines).strip()

    for line in content.replace("\r\n", "\n").split("\n"):
        if line.startswith("## "):
            close()
            heading = line[3:].strip()
            key = _HEADINGS.get(heading.casefold())
            if key is None:
                expected = ", ".join(SECTIONS.values())
                raise SheetError(path, f"unknown section '## {heading}' (expected: {expected})")
            if key in seen:
                raise SheetError(path, f"section '## {heading}' appears twice")
            seen.add(key)
            current, lines = key, []
        elif current is None:
            if line.strip():
                raise SheetError(path, "text before the first '## ' section heading")
        else:
            lines.append(line)
    close()
    return sections


def read_sheet(path: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> Sheet:
    """Read one sheet file (inside ``folder`` when given); the file stem is the sheet id."""
    path = Path(path)
    try:
        data = read_limited(path, "markdown", folder)
    except FileRefused as exc:
        raise SheetError(path, exc.reason) from None
    if b"\x00" in data:
        raise SheetError(path, "binary content (NUL byte), not a Markdown sheet")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SheetError(path, f"not valid UTF-8 text (byte {exc.start})") from None
    return parse_sheet(text, path.stem, path)


def sheet_files(directory: str | os.PathLike[str]) -> Iterator[Path]:
    return iter(sorted(p for p in Path(directory).glob("*.md") if p.name.lower() != "readme.md"))


def load_directory(directory: str | os.PathLike[str]) -> LoadReport:
    """Load every sheet of a folder; broken files are reported, the others still load."""
    report = LoadReport([], [])
    for path in sheet_files(directory):
        try:
            report.sheets.append(read_sheet(path, directory))
        except SheetError as exc:
            report.errors.append(exc)
    return report


def write_sheet(sheet: Sheet, directory: str | os.PathLike[str]) -> Path:
    path = Path(directory) / f"{sheet.id}.md"
    write_atomic(path, dump_sheet(sheet).encode("utf-8"))
    return path
