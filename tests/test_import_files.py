"""Importing a person's file or folder, called as a library (the CLI prints what these return)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import import_files, importer
from kb.importer import TooManyNewSheets
from tests.helpers import PRACTICES, KbFactory

REPORT = Path(__file__).parent / "data" / "report-bourgogne-franche-comte-2022.txt"
SURVEY = (
    "Titre;Structures;Région;Contexte;Nom du contact;E-mail du contact\n"
    "Chantier école;Régie A;Grand Est;Un chantier d'insertion.;Ada;ada@example.org\n"
    "Marché réservé;Régie B;Grand Est;Un marché réservé.;;\n"
)


def test_the_format_is_guessed_from_the_folder_the_suffix_and_the_front_matter(tmp_path: Path) -> None:
    sheet = next(PRACTICES.glob("*.md"))
    notes = tmp_path / "notes.md"
    notes.write_text("# Compte rendu\n", encoding="utf-8")
    guessed = {
        p.name: import_files.guess_format(p)
        for p in (PRACTICES, sheet, notes, tmp_path / "a.CSV", tmp_path / "b.json", REPORT)
    }
    assert guessed == {
        PRACTICES.name: "markdown",
        sheet.name: "markdown",
        "notes.md": "report",  # Markdown with no front matter: a meeting report written in Markdown
        "a.CSV": "csv",
        "b.json": "json",
        REPORT.name: "report",
    }


def test_a_report_of_no_known_meeting_reads_with_a_warning(tmp_path: Path) -> None:
    known = import_files.read_batch(REPORT)
    assert known.format == "report" and known.sheets and not known.warnings
    unknown = tmp_path / "compte-rendu.txt"
    unknown.write_text("Une réunion quelque part.\n", encoding="utf-8")
    assert import_files.read_batch(unknown).warnings == [import_files.NO_MEETING]


def test_a_bad_file_is_an_error_of_the_batch_and_a_bad_format_an_exception(tmp_path: Path) -> None:
    broken = tmp_path / "cassee.md"
    broken.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    batch = import_files.read_batch(broken)
    assert batch.format == "markdown" and batch.sheets == []
    assert len(batch.errors) == 1 and str(batch.errors[0]).startswith(f"{broken}: invalid YAML front matter")
    with pytest.raises(ValueError, match="unknown import format 'xml'"):
        import_files.read_batch(broken, "xml")


def test_survey_rows_import_pending_with_their_contact_once(tmp_path: Path, make_kb: KbFactory) -> None:
    survey = tmp_path / "enquete.csv"
    survey.write_text(SURVEY, encoding="utf-8")
    batch = import_files.read_batch(survey)
    assert batch.format == "csv" and len(batch.sheets) == 2 and len(batch.contacts) == 1
    kb = make_kb()
    report = import_files.import_batch(kb, batch)
    assert len(report.added) == 2 and not report.failed
    assert all(kb.store.record(sid).status == "pending" for sid in report.added)  # type: ignore[union-attr]
    with_contact = batch.contacts[0].sheet.id
    submission = kb.store.submission_for(with_contact)
    assert submission is not None and (submission.contact_name, submission.contact_email) == ("Ada", "ada@example.org")
    again = import_files.import_batch(kb, import_files.read_batch(survey))
    assert again.added == [] and sorted(again.unchanged) == sorted(report.added)
    assert kb.store.submission_for(with_contact) == submission  # not recorded a second time
    assert kb.encoder.encoded == []  # pending sheets are encoded when published, not on import


def test_publish_encodes_and_read_errors_join_the_report(tmp_path: Path, make_kb: KbFactory) -> None:
    batch = import_files.read_batch(PRACTICES)
    batch.errors.append(import_files.SheetError("ailleurs.md", "not a regular file"))
    kb = make_kb()
    report = import_files.import_batch(kb, batch, publish=True)
    assert len(report.added) == len(batch.sheets) == kb.store.count() and len(report.failed) == 1
    assert kb.encoder.encoded and len(kb.current_index()) == len(kb.encoder.encoded)


def test_the_pending_cap_writes_nothing_unless_forced(make_kb: KbFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "PENDING_CAP", 2)
    batch = import_files.read_batch(PRACTICES)
    kb = make_kb()
    with pytest.raises(TooManyNewSheets, match="over the cap of 2"):
        import_files.import_batch(kb, batch)
    assert kb.store.count(None) == 0
    assert len(import_files.import_batch(kb, batch, force=True).added) == len(batch.sheets)
