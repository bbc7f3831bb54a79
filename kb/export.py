"""Exports of the published sheets (JSON, CSV, Markdown) and the printable compendium.

Nothing private is exported: contributors' names and e-mails live in the submissions table only.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from kb.files import FileRefused, read_limited, write_atomic
from kb.glossary import explain_acronyms
from kb.markdown_io import SheetError, write_sheet
from kb.rendering import render_markdown
from kb.sheet import SECTIONS, Sheet, sheet_from_json
from kb.survey_csv import write_csv
from kb.validation import problems
from kb.vocabulary import meetings, source_name, vocabulary

FORMATS = ("json", "csv", "markdown", "recueil")


@cache
def templates() -> Any:
    """The library's Jinja templates (imported when a compendium is rendered: the CLI starts without)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("kb", "templates"), autoescape=select_autoescape(["html"]))


def to_json(sheets: Sequence[Sheet]) -> str:
    return json.dumps([s.to_dict() for s in sheets], ensure_ascii=False, indent=2) + "\n"


def from_json(path: str | os.PathLike[str]) -> tuple[list[Sheet], list[SheetError]]:
    """Sheets from a JSON export; each invalid item is reported with its position and reason.

    A file that cannot be read or parsed gives no sheet at all (so the import writes nothing).
    """
    try:
        items = json.loads(read_limited(path, "json").decode("utf-8"))
    except FileRefused as exc:
        return [], [SheetError(path, exc.reason)]
    except (UnicodeDecodeError, ValueError) as exc:
        return [], [SheetError(path, f"not a JSON export ({exc})")]
    except RecursionError:
        return [], [SheetError(path, "not a JSON export (values nested too deeply)")]
    if not isinstance(items, list):
        return [], [SheetError(path, "a JSON export is a list of sheets")]
    sheets, errors = [], []
    for n, item in enumerate(items, 1):
        try:
            sheet = sheet_from_json(item)
            reasons = problems(sheet)
        except ValueError as exc:
            reasons = [f"not a sheet: {exc}"]
        if reasons:
            errors.append(SheetError(f"{path}[{n}]", "; ".join(reasons)))
        else:
            sheets.append(sheet)
    return sheets, errors


def to_csv(sheets: Sequence[Sheet]) -> str:
    buffer = io.StringIO()
    write_csv(list(sheets), buffer)
    return buffer.getvalue()


def to_markdown_dir(sheets: Sequence[Sheet], directory: str | os.PathLike[str]) -> int:
    for sheet in sheets:
        write_sheet(sheet, directory)
    return len(sheets)


def compendium(sheets: Sequence[Sheet]) -> list[dict[str, Any]]:
    """Sheets grouped by their first theme, themes in vocabulary order, sheets by title."""
    vocab = vocabulary()
    groups: dict[str, list[Sheet]] = {}
    for sheet in sheets:
        groups.setdefault(sheet.themes[0] if sheet.themes else "", []).append(sheet)
    order = [*vocab.terms["themes"], ""]
    return [
        {
            "key": key or "sans-theme",
            "label": vocab.label("themes", key) if key else "Autres pratiques",
            "sheets": sorted(groups[key], key=lambda s: s.title.casefold()),
        }
        for key in order
        if key in groups
    ]


def compendium_css() -> str:
    """The compendium's stylesheet (inlined in the standalone file, served by the web app)."""
    return (Path(__file__).parent / "templates" / "compendium.css").read_text(encoding="utf-8")


def render_compendium_body(
    sheets: Sequence[Sheet],
    summaries: Mapping[str, str] | None = None,
    edited: str = "",
    selection: str = "",
) -> Markup:
    """The compendium's content (cover, table of contents, sheets by theme), to wrap in a page.

    ``summaries`` are the sheets' « En bref » by id; ``edited`` the date on the cover; ``selection``
    says which search or filters chose the sheets (« le recueil de ces 4 fiches »). The table of
    contents' links carry ``page-ref``: in a PDF (``kb.pdf``) each shows its page number."""
    return Markup(
        templates()
        .get_template("_compendium_body.html")
        .render(
            groups=compendium(sheets),
            sections=SECTIONS,
            render=lambda text: explain_acronyms(render_markdown(text)),
            meetings=meetings(),
            source_name=source_name,
            count=len(sheets),
            summaries=summaries or {},
            edited=edited,
            selection=selection,
        )
    )


def render_recueil(sheets: Sequence[Sheet], **options: Any) -> str:
    """The compendium as one self-contained HTML file (``kb export --format recueil``, the PDF);
    ``options`` are those of ``render_compendium_body``."""
    body = render_compendium_body(sheets, **options)
    return templates().get_template("compendium.html").render(body=body, css=compendium_css())


def export(sheets: Sequence[Sheet], fmt: str, dest: str | os.PathLike[str]) -> str:
    """Write an export; returns what was written, for the command's message."""
    if fmt == "markdown":
        count = to_markdown_dir(sheets, dest)
        return f"{count} Markdown files in {dest}"
    writers: dict[str, Callable[[Sequence[Sheet]], str]] = {"json": to_json, "csv": to_csv, "recueil": render_recueil}
    text = writers[fmt](sheets)
    if str(dest) == "-":
        return text
    write_atomic(dest, text.encode("utf-8"))
    return f"{len(sheets)} sheets written to {dest}"
