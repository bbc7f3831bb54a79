"""Imports a folder of Markdown sheets into the store, never silently overwriting a web edit."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from kb.markdown_io import SheetError, dump_sheet, load_directory
from kb.store import Store

ORIGIN = "practices"


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


def import_directory(store: Store, directory: str | os.PathLike[str]) -> ImportReport:
    """Bring the store in line with the folder's sheets.

    A sheet edited on the web since its last import is left as it is when its file changed or
    disappeared, and reported as a conflict. A file that fails to load keeps its sheet in the store.
    """
    report = ImportReport()
    loaded = load_directory(directory)
    report.failed = loaded.errors
    failed_ids = {os.path.splitext(os.path.basename(e.path))[0] for e in loaded.errors}
    seen = set()
    for sheet in loaded.sheets:
        seen.add(sheet.id)
        file_hash = hashlib.sha256(dump_sheet(sheet).encode("utf-8")).hexdigest()
        record = store.record(sheet.id)
        if record is None:
            store.save_sheet(sheet, origin=ORIGIN, imported_hash=file_hash)
            report.added.append(sheet.id)
        elif record.imported_hash == file_hash and record.origin == ORIGIN:
            report.unchanged.append(sheet.id)
        elif record.edited_after_import or record.origin != ORIGIN:
            report.conflicts.append(
                f"{sheet.id}: the file changed but the sheet was edited on the web since its last import; "
                "the web version is kept (export it, merge by hand, then re-import)"
                if record.origin == ORIGIN
                else f"{sheet.id}: a sheet with this id was created outside practices/ ({record.origin}); not replaced"
            )
        else:
            store.save_sheet(sheet, status=record.status, origin=ORIGIN, imported_hash=file_hash)
            report.updated.append(sheet.id)
    for sheet_id in store.sheet_ids(origin=ORIGIN, status=None):
        if sheet_id in seen or sheet_id in failed_ids:
            continue
        record = store.record(sheet_id)
        if record is not None and record.edited_after_import:
            report.conflicts.append(f"{sheet_id}: the file was removed but the sheet was edited on the web; kept")
        else:
            store.delete_sheet(sheet_id)
            report.removed.append(sheet_id)
    return report
