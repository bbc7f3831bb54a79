"""What is indexed of a sheet: its parts, and windows of two sentences inside the longer parts.

The keyword index holds the parts (title and sections). The dense index holds the sections and,
for a section of three sentences or more, each pair of consecutive sentences: a short passage
carries one idea, so a query matching one sentence of a long section is not drowned by the rest
(measured with ``kb eval``: see README, « Search quality »), and the best window is the sentence or
two that explain a match by meaning. The bare title's vector is stored but not ranked by meaning
(it pulled English queries towards titles sharing a word; same measurement).

A window's key is ``<section>~<n>`` (n: its first sentence); ``section_of`` gives the section back.
"""

from __future__ import annotations

from collections.abc import Sequence

from kb.sheet import SECTIONS, Sheet
from kb.snippets import sentences

WINDOW_MARK = "~"
WINDOW_SENTENCES = 2
MIN_SENTENCES = 3  # a section of two sentences is its own window


def _window_count(found: Sequence[str]) -> int:
    """How many windows a text of these sentences has: none under MIN_SENTENCES."""
    return 0 if len(found) < MIN_SENTENCES else len(found) - WINDOW_SENTENCES + 1


def _window(found: Sequence[str], n: int) -> str:
    """The window starting at sentence ``n``."""
    return " ".join(found[n : n + WINDOW_SENTENCES])


def windows(markdown_text: str) -> list[str]:
    """Runs of WINDOW_SENTENCES consecutive sentences, for texts of at least MIN_SENTENCES."""
    found = sentences(markdown_text)
    return [_window(found, n) for n in range(_window_count(found))]


def is_window(key: str) -> bool:
    return WINDOW_MARK in key


def section_of(key: str) -> str:
    return key.split(WINDOW_MARK, 1)[0]


def indexed_parts(sheet: Sheet) -> dict[str, str]:
    """Key -> text of every indexed passage: the parts (title first), then the windows."""
    parts = sheet.parts()
    out = dict(parts)
    for section in SECTIONS:
        for n, text in enumerate(windows(parts.get(section, ""))):
            out[f"{section}{WINDOW_MARK}{n}"] = text
    return out


def part_text(sheet: Sheet, key: str) -> str:
    """The text of one indexed passage (``indexed_parts(sheet).get(key, "")``), computing only that
    one: explaining a hit by meaning needs one window, not all of the sheet's."""
    if not is_window(key):
        text = sheet.title if key == "title" else sheet.sections.get(key, "")
        return text if text.strip() else ""
    section, n = key.split(WINDOW_MARK, 1)
    found = sentences(sheet.sections.get(section, "")) if section in SECTIONS else []
    return _window(found, int(n)) if n.isdigit() and int(n) < _window_count(found) else ""


def passage_text(sheet: Sheet, key: str) -> str:
    """What the encoder reads for one passage: its text, prefixed by the title and section for context."""
    if key == "title":
        return sheet.title
    section = section_of(key)
    text = part_text(sheet, key) if is_window(key) else sheet.sections[section]
    return f"{sheet.title}. {SECTIONS[section]} : {text}"
