"""« En bref »: two or three sentences taken word for word from the sheet, never written anew.

The lead sentences of the sheet's parts, in the order a reader asks about a practice: the
situation (Contexte), the aim (Objectifs), what was done (Actions menées). A lead-based extract is
the standard strong baseline for short factual texts, and it cannot invent anything: each
sentence is a sentence of the sheet. Moderators may replace it with other sentences.
"""

from __future__ import annotations

import re

from kb.sheet import Sheet

ORDER = ("context", "objectives", "actions", "advice", "outlook")
MAX_SENTENCES = 3
MAX_CHARS = 480
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(]?[A-ZÀÂÇÉÈÊËÎÏÔÛÙÜŸŒ0-9])")
_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|`")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]*>")  # raw HTML in the Markdown: « En bref » is plain text


def paragraphs(markdown: str) -> list[str]:
    """The prose of a part as plain text: its paragraphs, then its list items (headings left out)."""
    prose, items = [], []
    for block in re.split(r"\n\s*\n", markdown or ""):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not lines or lines[0].startswith("#"):
            continue
        if _LIST_ITEM.match(lines[0]):
            items += [_LIST_ITEM.sub("", line) for line in lines if _LIST_ITEM.match(line)]
        else:
            prose.append(" ".join(lines))
    return [_MARKUP.sub("", _LINK.sub(r"\1", _HTML_TAG.sub("", text))) for text in prose + items]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def lead_sentence(markdown: str) -> str | None:
    """The first complete sentence of a part's prose, else of its list items (one announcing a
    list, ending in « : », is no sentence of its own)."""
    for paragraph in paragraphs(markdown):
        for sentence in sentences(paragraph):
            if sentence[-1] in ".!?…":
                return sentence
    return None


def extract_summary(sheet: Sheet) -> str:
    """Two or three lead sentences of the sheet's parts, at most about 480 characters."""
    chosen: list[str] = []
    for key in ORDER:
        sentence = lead_sentence(sheet.sections.get(key, ""))
        if not sentence or any(sentence.casefold() in other.casefold() for other in chosen):
            continue
        if chosen and len(" ".join([*chosen, sentence])) > MAX_CHARS:
            if len(chosen) >= 2:
                break
            continue
        chosen.append(sentence)
        if len(chosen) == MAX_SENTENCES:
            break
    return " ".join(chosen)


def plain_text(sheet: Sheet) -> str:
    """All the sheet's parts as one line of plain text (markup and list markers removed)."""
    lines = [_LIST_ITEM.sub("", line) for key in ORDER for line in (sheet.sections.get(key) or "").splitlines()]
    return " ".join(_MARKUP.sub("", _LINK.sub(r"\1", _HTML_TAG.sub("", " ".join(lines)))).split())


def is_extract_of(summary: str, sheet: Sheet) -> bool:
    """Whether every sentence of ``summary`` is written in the sheet (a moderator's edit must be)."""
    text = plain_text(sheet)
    return all(" ".join(s.split()) in text for s in sentences(summary))
