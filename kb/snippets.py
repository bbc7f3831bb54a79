"""Snippets: the sentence or two of a part that best show why it matched, the query's words marked."""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from itertools import accumulate, compress, pairwise
from typing import NamedTuple

from kb.text import FRENCH_STOPWORDS, fold, stem

_TOKEN = re.compile(r"\w+(?:[.·'’-]\w+)*", re.UNICODE)
_MARKDOWN = re.compile(r"(\*\*|__|`|^\s*[-*+]\s+|^#+\s*)", re.MULTILINE)
# A sentence ends at . ! ? ; before a capital or a digit; decimals (400.000) and "etc." do not split.
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[«\"(]?[A-ZÀ-ÖØ-Þ0-9])")
_LIST_ITEM = re.compile(r"^\s*[-*+]\s+", re.MULTILINE)


@dataclass(frozen=True)
class Snippet:
    """Text segments; ``marked`` segments are query matches."""

    segments: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.segments)

    @property
    def html(self) -> str:
        return "".join(f"<mark>{escape(t)}</mark>" if m else escape(t) for t, m in self.segments)

    @property
    def matched(self) -> list[str]:
        return list(dict.fromkeys(t for t, m in self.segments if m))


def plain(markdown_text: str) -> str:
    """Markdown reduced to its words, on one line."""
    return " ".join(_MARKDOWN.sub("", markdown_text).split())


@lru_cache(maxsize=65_536)  # a corpus repeats its words: stemming each once is most of a snippet's cost
def _stem_of(token: str) -> str:
    head = re.split(r"[.·]", token)[0]
    head = re.sub(r"^(?:[ldjmnstc]|qu)['’]", "", head, flags=re.IGNORECASE)
    # interned: the kept analyses of many parts share one string per stem
    return "" if fold(head) in FRENCH_STOPWORDS else sys.intern(stem(head))


# A page's snippets come from the same parts and sentence runs search after search: each text's
# tokens and their stems are kept, so a snippet costs a set lookup per word, not a regex and a stem.
@lru_cache(maxsize=8192)
def _tokens(markdown_text: str) -> tuple[str, array[int], array[int], tuple[str, ...]]:
    """(plain text, where each word starts and ends in it, each word's stem) of a Markdown text;
    the offsets are machine integers (a few bytes a word, where tuples of ints take a hundred)."""
    text = plain(markdown_text)
    found = list(_TOKEN.finditer(text))
    starts, ends = array("l", (t.start() for t in found)), array("l", (t.end() for t in found))
    return text, starts, ends, tuple(_stem_of(t.group(0)) for t in found)


def make_snippet(markdown_text: str, query_stems: Collection[str], width: int = 36) -> Snippet:
    """The window of about ``width`` words holding the most query words, the matches marked."""
    return _marked_snippet(markdown_text, query_stems, width).snippet


@lru_cache(maxsize=4096)
def opening(markdown_text: str, width: int) -> Snippet:
    """The first ``width`` words of a text, nothing marked: the same for every query, so kept."""
    return make_snippet(markdown_text, (), width)


class Marked(NamedTuple):
    """A snippet and, in order, each of its marked words with its stem: explaining a hit reads
    which query stems it shows from here, not by stemming the marked words again."""

    snippet: Snippet
    marks: tuple[tuple[str, str], ...]


def _marked_snippet(markdown_text: str, query_stems: Collection[str], width: int) -> Marked:
    tokens = _tokens(markdown_text)
    hits = [s in query_stems for s in tokens[3]] if query_stems else [False] * len(tokens[3])
    return _window(tokens, hits, width)


def _window(tokens: tuple[str, array[int], array[int], tuple[str, ...]], hits: list[bool], width: int) -> Marked:
    """``make_snippet`` of a text's tokens, ``hits`` saying which of them are query words."""
    text, starts, ends, stems = tokens
    if not stems:
        return Marked(Snippet(((text[:200], False),) if text else ()), ())
    best_start = first = 0
    if True in hits:  # else the window is the start
        if len(stems) > width:
            seen = [0, *accumulate(hits)]  # seen[i]: matches among the first i tokens
            counts = [seen[start + width] - seen[start] for start in range(len(stems) - width + 1)]
            best_start = counts.index(max(counts))  # the first of the fullest windows
        # Start a little before the first match of the window, for context.
        first = hits.index(True, best_start)
    start = max(0, min(best_start, first - 4))
    end = min(len(stems), start + width)
    segments: list[tuple[str, bool]] = []
    marks: list[tuple[str, str]] = []
    lo = starts[start] if start > 0 else 0
    hi = ends[end - 1] if end < len(stems) else len(text)
    pos = lo
    for i in compress(range(start, end), hits[start:end]):
        token_start, token_end = starts[i], ends[i]
        if token_start > pos:
            segments.append((text[pos:token_start], False))
        word = text[token_start:token_end]
        segments.append((word, True))
        marks.append((word, stems[i]))
        pos = token_end
    if hi > pos:
        segments.append((text[pos:hi], False))
    if start > 0:
        segments.insert(0, ("… ", False))
    if end < len(stems):
        segments.append((" …", False))
    return Marked(Snippet(tuple(segments)), tuple(marks))


def sentences(markdown_text: str) -> list[str]:
    """The sentences of a Markdown text (each list item at least one), as plain text."""
    return list(_sentences(markdown_text))


# A part's sentences are read again and again: indexing reads them once for each of the part's
# windows, and search reads them for every section a hit shows (``analysed_sentences``) and every
# window explaining a hit by meaning (``passages.part_text``). They are kept.
@lru_cache(maxsize=4096)
def _sentences(markdown_text: str) -> tuple[str, ...]:
    out = []
    for chunk in re.split(r"\n\s*\n|\n(?=\s*[-*+]\s)", markdown_text):
        out.extend(s.strip() for s in _SENTENCE_END.split(plain(chunk)))
    return tuple(s for s in out if len(s) > 3)


@dataclass(frozen=True, slots=True)
class PartSentences:
    """A part's text cut once into sentences, with each sentence's stems: choosing the sentences
    a hit shows is set operations."""

    text: str
    sentences: tuple[str, ...]
    sentence_stems: tuple[frozenset[str], ...]


# Read only for the one section each hit shows (ten a page): a thousand texts cover many pages.
@lru_cache(maxsize=1024)
def analysed_sentences(markdown_text: str) -> PartSentences:
    """A Markdown text's sentences and each sentence's stems."""
    found = _sentences(markdown_text)
    return PartSentences(markdown_text, found, tuple(frozenset(_tokens(s)[3]) for s in found))


@dataclass(frozen=True, slots=True)
class SheetText:
    """A sheet's non-blank sections' stems: a hit's best section costs an intersection per
    section, not tokenising and stemming them; their sentences are analysed (``analysed_sentences``)
    for the one section a hit shows."""

    sections: dict[str, str]  # the texts analysed (a copy: a sheet whose sections change is analysed again)
    stems: dict[str, frozenset[str]]  # non-blank section -> its stems, in order


MAX_SHEET_TEXTS = 2048  # a few kB each: emptied past it, refilled by the next searches
_SHEETS: dict[str, SheetText] = {}


# Every search explains its page of hits from the same sheets again: each sheet's stems are kept.
def sheet_text(sheet_id: str, sections: dict[str, str]) -> SheetText:
    """A sheet's sections' stems; read again when its sections are not the ones kept. Shared
    between threads: read it, never change it."""
    kept = _SHEETS.get(sheet_id)
    if kept is None or kept.sections != sections:
        stems = {key: _stems(text) for key, text in sections.items() if text.strip()}
        kept = SheetText(dict(sections), stems)
        if len(_SHEETS) >= MAX_SHEET_TEXTS:
            _SHEETS.clear()
        _SHEETS[sheet_id] = kept
    return kept


def _stems(markdown_text: str) -> frozenset[str]:
    """``frozenset(_tokens(text)[3])`` without keeping where each word is: only a shown part needs it."""
    return frozenset(map(_stem_of, _TOKEN.findall(plain(markdown_text))))


def best_marked(part: PartSentences, query_stems: Collection[str], max_words: int = 45) -> Marked:
    """The sentence, or two consecutive ones, of a part holding the most distinct query words (the
    shorter on a tie; the first sentence when none does), its matches marked and its marks; cut
    around the matches when longer than ``max_words``."""
    if not part.sentences:
        return _marked_snippet(part.text, query_stems, max_words)
    held = [s.intersection(query_stems) for s in part.sentence_stems]
    counts = list(map(len, held))
    most = max(counts)
    # A pair wins only holding more than any one sentence; a pair of which one sentence holds
    # nothing holds what the other does.
    pairs = [len(a | b) if a and b else 0 for a, b in pairwise(held)]
    if pairs and max(pairs) > most:
        start = pairs.index(max(pairs))
        return _marked_snippet(" ".join(part.sentences[start : start + 2]), query_stems, max_words)
    return _marked_snippet(part.sentences[counts.index(most)], query_stems, max_words)
