"""The organisations a query names: the "who" of the published sheets, as search evidence.

Facilitators ask for practices by their actors (« AGIRE », « SDAT », « Habitat 25 », « VNF »):
names the model does not know and the keyword side may mistake for words (« AGIRE » stems to
« agir »). A sheet listing the organisation a query names is evidence the way a tag is. Names match
as whole words, accents and case aside, in order: an organisation written « ANAR (Association
Nivernaise Accueil et Réinsertion) » answers to either part; a one-word name must be an acronym.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kb.text import fold

_WORD = re.compile(r"\w+", re.UNICODE)
_PARENS = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
MIN_ONE_WORD = 3  # « C3B » counts, a stray « LA » does not


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text).casefold()))


def names(organisation: str) -> list[tuple[str, ...]]:
    """The word sequences that name an organisation: its whole name, and each part of « X (Y) ».
    A name of one word counts when it is written as an acronym (capitals or digits: « AGIRE »,
    « C3B »): a sheet listing « Emploi » or « Mairie » must not tag every query saying the word."""
    found = _PARENS.match(organisation)
    texts = [organisation, *(found.groups() if found else ())]
    out = []
    for text, tokens in zip(texts, map(_tokens, texts), strict=True):
        if tokens and (len(tokens) > 1 or _acronym(text)) and tokens not in out:
            out.append(tokens)
    return out


def _acronym(word: str) -> bool:
    letters = [c for c in word if c.isalnum()]
    return len(letters) >= MIN_ONE_WORD and not any(c.islower() for c in letters)


class OrganisationNames:
    """The corpus's organisations by the words of their names (which sheets list one is asked of
    the store when a query names it: a few thousand names, a hundred thousand sheets)."""

    def __init__(self, organisations: Iterable[str]) -> None:
        self._by_words: dict[tuple[str, ...], list[str]] = {}
        for organisation in organisations:
            for tokens in names(organisation):
                self._by_words.setdefault(tokens, []).append(organisation)
        lengths: dict[str, set[int]] = {}  # first word -> how many words the names it starts have
        for tokens in self._by_words:
            lengths.setdefault(tokens[0], set()).add(len(tokens))
        self._lengths = {first: sorted(found, reverse=True) for first, found in lengths.items()}

    def named(self, query: str) -> dict[str, str]:
        """Organisation -> the words of the query naming it; where names overlap, the longest wins
        (« Grand Besançon Métropole » does not also name « Grand Besançon »)."""
        words = _tokens(query)
        found: dict[str, str] = {}
        start = 0
        while start < len(words):
            said: tuple[str, ...] = ()
            for n in self._lengths.get(words[start], ()):  # the longest name starting here
                if words[start : start + n] in self._by_words:
                    said = words[start : start + n]
                    break
            for organisation in self._by_words.get(said, ()):
                found.setdefault(organisation, " ".join(said))
            start += len(said) or 1
        return found
