"""Spreadsheet formula injection: cells that would run as formulas are written as text.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is evaluated by
spreadsheets (``=HYPERLINK(…)``, DDE payloads). OWASP's defence: prefix it with ``'``, which the
spreadsheet shows as text. A leading ``-`` is ordinary Markdown in a sheet's sections, so the
importer removes the prefix again; cells that already start with apostrophes before such a
character get one more, so that reading back always gives the original text.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _after_quotes(cell: str) -> str:
    return cell.lstrip("'")


def neutralise(cell: str) -> str:
    """The cell as written to a CSV file: never a formula."""
    return f"'{cell}" if _after_quotes(cell).startswith(TRIGGERS) else cell


def restore(cell: str) -> str:
    """Inverse of ``neutralise`` (for the importer)."""
    return cell[1:] if cell.startswith("'") and _after_quotes(cell).startswith(TRIGGERS) else cell
