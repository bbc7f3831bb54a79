"""Importing a file or folder given by a person (``kb import``; reusable by the web app).

Two steps, so a caller can show what was read (warnings, errors) before it writes anything:
``read_batch`` reads one source in any of the import formats, ``import_batch`` applies it to a
knowledge base with the moderators' rules: new sheets pending (or published), at most
``importer.PENDING_CAP`` of them unless forced, the survey's contacts kept beside them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kb import contributions, export, importer, report_parser, survey_csv
from kb.files import FileRefused, read_limited
from kb.importer import SOURCE_FORMATS, ImportReport, apply_import
from kb.knowledge_base import KnowledgeBase
from kb.markdown_io import SheetError, load_directory, read_sheet
from kb.sheet import Sheet
from kb.store import PUBLISHED

NO_MEETING = "no known regional meeting recognised in the report; sheets are not linked"


@dataclass
class Batch:
    """The sheets read from one source, with the format it was read as and what went wrong."""

    format: str
    sheets: list[Sheet] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)
    contacts: list[survey_csv.CsvRow] = field(default_factory=list)  # survey rows that name a contact
    warnings: list[str] = field(default_factory=list)  # worth saying, not an error


def guess_format(path: Path) -> str:
    """A folder or a ``.md`` file with front matter is Markdown; ``.csv`` and ``.json`` by their
    suffix; any other file is read as a meeting report."""
    if path.is_dir():
        return "markdown"
    if path.suffix.lower() == ".md":
        try:
            if read_limited(path, "markdown").startswith(b"---"):
                return "markdown"
        except FileRefused:
            return "markdown"  # the Markdown reader refuses it again, with the reason
    return {".csv": "csv", ".json": "json"}.get(path.suffix.lower(), "report")


def read_batch(path: str | os.PathLike[str], fmt: str = "auto") -> Batch:
    """Read ``path`` as ``fmt`` (one of ``importer.SOURCE_FORMATS``, or "auto" to guess it); a bad
    file or item is one of the batch's errors, never an exception."""
    path = Path(path)
    batch = Batch(guess_format(path) if fmt == "auto" else fmt)
    if batch.format not in SOURCE_FORMATS:
        raise ValueError(f"unknown import format {fmt!r}; one of: auto, {', '.join(SOURCE_FORMATS)}")
    if batch.format == "markdown":
        if path.is_dir():
            loaded = load_directory(path)
            batch.sheets, batch.errors = loaded.sheets, loaded.errors
        else:
            try:
                batch.sheets.append(read_sheet(path))
            except SheetError as exc:
                batch.errors.append(exc)
    elif batch.format == "csv":
        csv_report = survey_csv.read_csv(path)
        batch.sheets, batch.errors = [row.sheet for row in csv_report.rows], csv_report.errors
        batch.contacts = [row for row in csv_report.rows if row.contact_email]
    elif batch.format == "json":
        batch.sheets, batch.errors = export.from_json(path)
    else:
        parsed = report_parser.read_report(path)
        batch.sheets, batch.errors = parsed.sheets, parsed.errors
        if parsed.meeting is None:
            batch.warnings.append(NO_MEETING)
    return batch


def import_batch(kb: KnowledgeBase, batch: Batch, publish: bool = False, force: bool = False) -> ImportReport:
    """Add or update the batch's sheets (new ones pending moderation, or published with
    ``publish``, their vectors then encoded); the batch's read errors join the report's failures.
    Raises ``importer.TooManyNewSheets``, writing nothing, past the cap unless ``publish`` or ``force``."""
    status = PUBLISHED if publish else contributions.PENDING
    cap = None if publish or force else importer.PENDING_CAP  # looked up now: tests lower it
    report = apply_import(
        kb.store, batch.sheets, f"import:{batch.format}", status, ImportReport(failed=list(batch.errors)), max_new=cap
    )
    for row in batch.contacts:
        if row.sheet.id in report.added:
            contributions.record_contact(kb.store, row.sheet.id, row.contact_name or "", row.contact_email or "")
    if publish and report.added:
        kb.update_vectors()
    return report
