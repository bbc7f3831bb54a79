"""Imports sheets into the store, never silently overwriting a web edit.

Every source (``practices/``, Markdown files, the survey's CSV export, meeting reports) yields
sheets and per-item errors; ``apply_import`` applies them with the same rules everywhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.markdown_io import SheetError, dump_sheet, load_directory
from kb.sheet import Sheet, without_controls
from kb.store import PUBLISHED, Store

ORIGIN = "practices"
PENDING_CAP = 1_000  # new sheets one import may add to the moderators' queue (more: --force)
SOURCE_FORMATS = ("markdown", "csv", "report", "json")  # what ``kb.import_files`` reads


class TooManyNewSheets(ValueError):
    """An import would add more sheets than its cap; nothing was written."""


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[SheetError] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.failed)} failed, {len(self.conflicts)} conflicts"
        )


def content_hash(sheet: Sheet) -> str:
    return hashlib.sha256(dump_sheet(sheet).encode("utf-8")).hexdigest()


def apply_import(
    store: Store,
    sheets: Sequence[Sheet],
    origin: str,
    new_status: str,
    report: ImportReport | None = None,
    max_new: int | None = None,
) -> ImportReport:
    """Add new sheets (with ``new_status``), update those unchanged on the web since their last
    import, and report the others as conflicts, keeping the web version. With ``max_new``, an
    import that would add more new sheets writes nothing and raises ``TooManyNewSheets``."""
    report = report or ImportReport()
    if max_new is not None:
        new = {s.id for s in sheets} - set(store.existing_ids([s.id for s in sheets]))
        if len(new) > max_new:
            raise TooManyNewSheets(
                f"this import would add {len(new):,} new sheets, over the cap of {max_new:,} per import; "
                "nothing was imported (check the file, or use --force if you mean it)"
            )
    seen: set[str] = set()
    for sheet in map(without_controls, sheets):
        if sheet.id in seen:
            report.failed.append(SheetError(sheet.id, "duplicate id in this import; the first one was kept"))
            continue
        seen.add(sheet.id)
        file_hash = content_hash(sheet)
        record = store.record(sheet.id)
        if record is None:
            store.save_sheet(sheet, status=new_status, origin=origin, imported_hash=file_hash)
            report.added.append(sheet.id)
        elif record.imported_hash == file_hash and record.origin == origin:
            report.unchanged.append(sheet.id)
        elif record.origin != origin:
            report.conflicts.append(
                f"{sheet.id}: a sheet with this id came from elsewhere ({record.origin}); not replaced"
            )
        elif record.edited_after_import:
            report.conflicts.append(
                f"{sheet.id}: changed at the source but edited on the web since its last import; "
                "the web version is kept (export it, merge by hand, then re-import)"
            )
        else:
            store.save_sheet(sheet, status=record.status, origin=origin, imported_hash=file_hash)
            report.updated.append(sheet.id)
    if report.added or report.updated:
        store.optimize_keyword_index()  # each sheet was its own write, so its own FTS5 segment
    return report


def import_directory(store: Store, directory: str | os.PathLike[str]) -> ImportReport:
    """Bring the store in line with ``practices/``: new sheets are published, sheets whose file
    was removed are removed; a file that fails to load keeps its sheet in the store."""
    loaded = load_directory(directory)
    report = apply_import(store, loaded.sheets, ORIGIN, PUBLISHED, ImportReport(failed=loaded.errors))
    failed_ids = {os.path.splitext(os.path.basename(e.path))[0] for e in loaded.errors}
    seen = {s.id for s in loaded.sheets}
    for sheet_id in store.sheet_ids(origin=ORIGIN, status=None):
        if sheet_id in seen or sheet_id in failed_ids:
            continue
        record = store.record(sheet_id)
        if record is not None and record.edited_after_import:
            report.conflicts.append(f"{sheet_id}: the file was removed but the sheet was edited on the web; kept")
        else:
            store.delete_sheet(sheet_id)
            report.removed.append(sheet_id)
    if report.removed:
        store.optimize_keyword_index()
    return report
