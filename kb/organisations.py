"""The organisations a query names: the "who" of the published sheets, as search evidence.

Facilitators ask for practices by their actors (« AGIRE », « SDAT », « Habitat 25 », « VNF »):
names the model does not know and the keyword side may mistake for words (« AGIRE » stems to
« agir »). A sheet listing the organisation a query names is evidence the way a tag is. Names match
as whole words, accents and case aside, in order: an organisation written « ANAR (Association
Nivernaise Accueil et Réinsertion) » answers to either part; a one-word name needs three letters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kb.text import fold

_WORD = re.compile(r"\w+", re.UNICODE)
_PARENS = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
MIN_ONE_WORD = 3  # « C3B » counts, a stray « La » does not


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text).casefold()))


def names(organisation: str) -> list[tuple[str, ...]]:
    """The word sequences that name an organisation: its whole name, and each part of « X (Y) »."""
    found = _PARENS.match(organisation)
    texts = [organisation, *(found.groups() if found else ())]
    out = []
    for tokens in map(_tokens, texts):
        if tokens and (len(tokens) > 1 or len(tokens[0]) >= MIN_ONE_WORD) and tokens not in out:
            out.append(tokens)
    return out


class OrganisationNames:
    """The published sheets' organisations, looked up by the first word of each name."""

    def __init__(self, sheets_by_organisation: Mapping[str, Sequence[str]]) -> None:
        self.sheets = {org: frozenset(ids) for org, ids in sheets_by_organisation.items() if ids}
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for organisation in self.sheets:
            for tokens in names(organisation):
                self._by_first.setdefault(tokens[0], []).append((tokens, organisation))

    def named(self, query: str) -> dict[str, str]:
        """Organisation -> the words of the query naming it, longest names first."""
        words = _tokens(query)
        found: dict[str, str] = {}
        for start, word in enumerate(words):
            for tokens, organisation in sorted(self._by_first.get(word, ()), key=lambda t: -len(t[0])):
                if organisation not in found and words[start : start + len(tokens)] == tokens:
                    found[organisation] = " ".join(tokens)
        return found
