"""French as it is written: Babel's dates, numbers and plurals; French spacing on pages only."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kb.french import NARROW_NBSP, NBSP, format_date, format_datetime, format_number, french_spacing, plural


def test_dates_numbers_and_plurals() -> None:
    assert format_date("2026-11-23") == "23 novembre 2026"
    assert format_date(date(2022, 5, 1)) == "1er mai 2022"
    assert format_date(None) == ""
    # stored in UTC, shown in Paris time (UTC+1 in November, UTC+2 in summer)
    assert format_datetime("2026-11-23T04:41:00+00:00") == "23 novembre 2026 à 05 h 41"
    assert format_datetime(datetime(2022, 5, 10, 7, 5, tzinfo=UTC)) == "10 mai 2022 à 09 h 05"
    assert format_number(400000) == f"400{NARROW_NBSP}000"
    assert format_number(2.5) == "2,5"
    assert plural(0, "fiche", "fiches", "Aucune fiche") == "Aucune fiche"
    assert plural(0, "fiche", "fiches") == "0 fiche"
    assert plural(1, "fiche", "fiches", "Aucune fiche") == "1 fiche"
    assert plural(2, "fiche", "fiches") == "2 fiches"
    assert plural(400000, "fiche", "fiches") == f"400{NARROW_NBSP}000 fiches"


def test_spacing_in_text_not_in_markup() -> None:
    html = (
        '<p title="a : b ?">Contexte : « Les bonnes pratiques » ; pourquoi ? Voilà !</p>'
        '<a href="http://x/?q=a:b">http://x/?q=a:b</a>'
        "<textarea>Texte : tel quel ?</textarea><pre>a ; b</pre><p>«guillemets»</p>"
    )
    out = french_spacing(html)
    n = NARROW_NBSP
    assert f"Contexte{NBSP}: «{n}Les bonnes pratiques{n}»{n}; pourquoi{n}?" in out
    assert f"Voilà{NARROW_NBSP}!" in out
    assert 'title="a : b ?"' in out  # attributes untouched
    assert ">http://x/?q=a:b</a>" in out  # no space written, none added
    assert "<textarea>Texte : tel quel ?</textarea><pre>a ; b</pre>" in out  # a form sends back what it got
    assert f"«{NARROW_NBSP}guillemets{NARROW_NBSP}»" in out
    assert french_spacing(out) == out  # idempotent
