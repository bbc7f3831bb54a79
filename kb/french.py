"""French as it is written: dates, numbers and plurals through Babel, and French spacing.

The formatting functions are for what people read (pages, PDFs); stored text and data exports
(Markdown, JSON, CSV) keep the text as written. ``french_spacing`` works on rendered HTML and
leaves markup, attributes and the contents of ``textarea``, ``pre``, ``code``, ``script`` and
``style`` alone, so a form never sends back text it changed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache

LOCALE = "fr_FR"
TIMEZONE = "Europe/Paris"
NARROW_NBSP = "\u202f"  # before ; ? ! and inside « »
NBSP = "\u00a0"  # before :


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_date(value: date | str | None) -> str:
    """« 23 novembre 2026 », « 1er mai 2022 » (an ISO string or a date; empty for None); a sheet
    dated only by its year or month reads « 2022 », « mai 2022 »."""
    if not value:
        return ""
    from babel.dates import format_date as babel_date

    if isinstance(value, str) and re.fullmatch(r"\d{4}(-\d{2})?", value):
        return value if len(value) == 4 else babel_date(date.fromisoformat(value + "-01"), "MMMM y", locale=LOCALE)

    day = _as_date(value)
    month_year = babel_date(day, "MMMM y", locale=LOCALE)
    return f"{'1er' if day.day == 1 else day.day} {month_year}"


def format_datetime(value: datetime | str | None) -> str:
    """« 23 novembre 2026 à 05 h 41 », in Paris time (naive values are taken as UTC)."""
    if not value:
        return ""
    from babel.dates import format_time, get_timezone

    moment = _as_datetime(value).astimezone(get_timezone(TIMEZONE))
    time = format_time(moment, "HH' h 'mm", locale=LOCALE)
    return f"{format_date(moment.date())} à {time}"


def format_number(value: float) -> str:
    """« 400 000 », « 2,5 » (French grouping with a narrow no-break space, decimal comma)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=LOCALE)


@cache
def _plural_rule():  # type: ignore[no-untyped-def]
    from babel import Locale

    return Locale.parse(LOCALE).plural_form


def plural(count: int, one: str, other: str, zero: str | None = None) -> str:
    """« Aucune fiche », « 1 fiche », « 2 fiches », « 400 000 fiches » (French plural rules: 0 and 1
    take the singular); ``zero`` is the whole text for none, e.g. « Aucune fiche »."""
    if count == 0 and zero is not None:
        return zero
    word = one if _plural_rule()(count) == "one" else other
    return f"{format_number(count)} {word}"


# -- typography -------------------------------------------------------------------------------
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_RAW = {"textarea", "pre", "code", "script", "style"}
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
_SPACES = r"[ \u00a0\u202f]"
_RULES = [
    (re.compile(_SPACES + r"+([;?!])"), NARROW_NBSP + r"\1"),  # « Pourquoi ? »
    (re.compile(r"(?<=\S)" + _SPACES + r"+:(?=\s|$|<)"), NBSP + ":"),  # « Contexte : », never « http: »
    (re.compile(r"«" + _SPACES + "*"), "«" + NARROW_NBSP),
    (re.compile(_SPACES + r"*»"), NARROW_NBSP + "»"),
]


def spacing(text: str) -> str:
    """French spacing in plain text: the spaces already written become no-break ones (none is
    added before ; ? ! : where none was written: it may be code, a URL or English)."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def french_spacing(html: str) -> str:
    """``spacing`` applied to the text of an HTML document or fragment, not to its markup."""
    out: list[str] = []
    raw_depth = 0
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            found = _TAG_NAME.match(piece)
            if found and found.group(2).lower() in _RAW and not piece.endswith("/>"):
                raw_depth += -1 if found.group(1) else 1
                raw_depth = max(raw_depth, 0)
            out.append(piece)
        else:
            out.append(piece if raw_depth else spacing(piece))
    return "".join(out)
