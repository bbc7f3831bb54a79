"""Spelling suggestions from the corpus's own words (« Essayez avec : … »).

A query word the corpus does not hold, and that is neither a stop word, nor a glossary name, nor
another form of a word the corpus holds (same stem: « diplômés » when the sheets say « diplômé »),
nor a French or English word at all (« réparer » is not a typo of « repérer », nor « tyre » of
« type »: pyspellchecker's word lists, 140,000 and 160,000 words, loaded on the first word that
needs them, in about 0.2 s), is replaced by the corpus
word (never a stop word) nearest by optimal string alignment (a typo, a swap of two letters),
within one edit for words up to 8 letters and two beyond, starting with the same letter (typos
rarely touch the first one), the commoner word on a tie. The
dictionary is built on first use from the published parts (rapidfuzz is imported then) and rebuilt
when the corpus changes.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from kb.text import ENGLISH_STOPWORDS, FRENCH_STOPWORDS, fold, fold_word, stem

if TYPE_CHECKING:
    from kb.glossary import QueryVocabulary
    from kb.store import Store

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
MIN_LENGTH = 4  # shorter words are acronyms or too ambiguous to correct
# The dictionary reads at most this many parts, the latest: enough for a field's vocabulary, and
# bounded on a corpus of 100,000 sheets (about a second and a few MB, once per corpus change).
DICTIONARY_PARTS = 20_000


class Speller:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._version = -1
        self._counts: Counter[str] = Counter()
        self._surface: dict[str, str] = {}
        self._stems: set[str] = set()
        self._by_first: dict[str, list[str]] = {}  # its words but stop words by first letter, in its order

    def _dictionary(self) -> Counter[str]:
        version = self.store.vectors_version
        if version != self._version:
            written: Counter[str] = Counter()  # each word as written: counted in C, folded once below
            for text in self.store.published_texts(DICTIONARY_PARTS):
                written.update(_WORD.findall(text))
            counts: Counter[str] = Counter()
            surface: dict[str, Counter[str]] = {}
            for word, n in written.items():
                folded = fold_word(word)
                counts[folded] += n
                surface.setdefault(folded, Counter())[word.lower()] += n
            self._counts, self._version = counts, version
            self._stems = {stem(w) for w in counts}
            self._surface = {f: c.most_common(1)[0][0] for f, c in surface.items()}
            self._by_first = {}
            for folded in counts:
                if not _stop_word(folded):
                    self._by_first.setdefault(folded[0], []).append(folded)
        return self._counts

    def known(self, word: str) -> bool:
        return fold(word) in self._dictionary()

    def nearest(self, word: str) -> str | None:
        """The corpus word a typo most likely meant, or None."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        folded = fold_word(word)
        counts = self._dictionary()
        if len(folded) < MIN_LENGTH or folded in counts or _stop_word(folded) or stem(folded) in self._stems:
            return None
        if dictionary_word(word):
            return None
        limit = 1 if len(folded) <= 8 else 2
        same_start = self._by_first.get(folded[0], [])
        found = process.extract(folded, same_start, scorer=OSA.distance, score_cutoff=limit, limit=20)
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], -counts[item[0]], item[0]))
        return self._surface[best[0]]

    def correct(self, query: str, vocabulary: QueryVocabulary | None = None) -> str | None:
        """The query with its unknown words corrected, or None when nothing changes; its glossary
        names are left as they are (``vocabulary``: the query's ``read_query``, if already read)."""
        if vocabulary is None:
            from kb.glossary import read_query

            vocabulary = read_query(query)
        named = {fold(w) for surface, _ in vocabulary.entries for w in surface.split()}
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group(0)
            if fold(word) in named or word.isupper():
                return word
            better = self.nearest(word)
            if better is None:
                return word
            changed = True
            return better

        corrected = _WORD.sub(fix, query)
        return corrected if changed else None


def _stop_word(folded: str) -> bool:
    return folded in FRENCH_STOPWORDS or folded in ENGLISH_STOPWORDS


def dictionary_word(word: str) -> bool:
    """Whether a general French or English dictionary holds the word (its elided article dropped):
    then it is spelt right even when the sheets never use it."""
    bare = re.split(r"['’]", word.lower())[-1]
    return bare in dictionary_words("fr") or bare in dictionary_words("en")


@cache
def dictionary_words(language: str) -> frozenset[str]:
    """pyspellchecker's word list for a language, read from its gzip JSON resource directly: the
    ``SpellChecker`` class would also count every letter of every word, doubling the load (0.42 s
    to 0.20 s for French and English; both are read on the first word that needs them)."""
    resource = files("spellchecker") / "resources" / f"{language}.json.gz"
    return frozenset(word.lower() for word in json.loads(gzip.decompress(resource.read_bytes())))
