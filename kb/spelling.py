"""Spelling suggestions from the corpus's own words (« Essayez avec : … »).

A query word the corpus does not hold, and that is neither a stop word, nor a glossary name, nor
another form of a word the corpus holds (same stem: « diplômés » when the sheets say « diplômé »),
nor a French or English word at all (« réparer » is not a typo of « repérer », nor « tyre » of
« type »: pyspellchecker's word lists, 140,000 and 160,000 words, loaded on the first word that
needs them, in about 0.2 s), is replaced by the corpus
word (never a stop word) nearest by optimal string alignment (a typo, a swap of two letters),
within one edit for words up to 8 letters and two beyond, starting with the same letter (typos
rarely touch the first one), the commoner word on a tie. The
dictionary is read on first use from the published parts (rapidfuzz is imported then), shared by
the process's threads, and read again in the background when the corpus changes (``WordKeeper``).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from kb.loading import read_once
from kb.store import Store
from kb.text import ENGLISH_STOPWORDS, FRENCH_STOPWORDS, fold, fold_word, stem

if TYPE_CHECKING:
    from kb.glossary import QueryVocabulary

log = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_ELISION = re.compile(r"['’]")
MIN_LENGTH = 4  # shorter words are acronyms or too ambiguous to correct
# The dictionary reads at most this many parts, the latest: enough for a field's vocabulary, and
# bounded on a corpus of 100,000 sheets (half a second and a few MB, once per corpus change).
DICTIONARY_PARTS = 20_000


@dataclass(frozen=True)
class CorpusWords:
    """The words of the published parts, folded, with how often each occurs: what a typo is
    corrected into. Built once per corpus version and never changed, so threads share it."""

    counts: Counter[str]
    surface: dict[str, str]  # folded word -> its commonest written form
    stems: frozenset[str]
    by_first: dict[str, list[str]]  # its words but stop words by first letter, in its order

    @classmethod
    def read(cls, store: Store) -> CorpusWords:
        written: Counter[str] = Counter()  # each word as written: counted in C, folded once below
        for text in store.published_texts(DICTIONARY_PARTS):
            written.update(_WORD.findall(text))
        counts: Counter[str] = Counter()
        surface: dict[str, Counter[str]] = {}
        for word, n in written.items():
            folded = fold_word(word)
            counts[folded] += n
            surface.setdefault(folded, Counter())[word.lower()] += n
        by_first: dict[str, list[str]] = {}
        for folded in counts:
            if not _stop_word(folded):
                by_first.setdefault(folded[0], []).append(folded)
        return cls(
            counts,
            {f: c.most_common(1)[0][0] for f, c in surface.items()},
            frozenset(stem(w) for w in counts),
            by_first,
        )


class WordKeeper:
    """The process's ``CorpusWords``, shared by every thread's speller and kept per corpus version.

    Reading them takes half a second at 100,000 sheets. The first time, the query that needs them
    waits (one thread reads, the others wait for it); after a change to the corpus (a publication),
    the words of the version before keep answering while a thread of its own reads the new ones:
    a suggestion one publication behind is harmless, a query stalled after each publication is not.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # guards _kept and _refresh
        self._reading = threading.Lock()  # one first read at a time
        self._kept: tuple[int, CorpusWords] | None = None
        self._refresh: threading.Thread | None = None
        # The version the last reading was started for: a reading that failed, or found another
        # version, is not started again by every query until the corpus changes again.
        self._asked: int | None = None

    def current(self, store: Store, version: int | None = None) -> CorpusWords:
        """The words of the corpus ``store`` sees now, or of the version before while they are read
        (``version``: the store's ``vectors_version``, if the caller has just read it)."""
        version = store.vectors_version if version is None else version
        with self._lock:
            kept = self._kept
            if kept is not None:
                changed = kept[0] != version and version != self._asked
                if changed and (self._refresh is None or not self._refresh.is_alive()):  # idle
                    self._asked = version
                    self._refresh = threading.Thread(target=self._read_apart, name="kb-words", daemon=True)
                    self._refresh.start()
                return kept[1]
        with self._reading:
            if self._kept is None:
                self._keep(version, CorpusWords.read(store))
            return self._kept[1]  # type: ignore[index]

    def wait(self) -> None:
        """Wait until a reading of newer words is over (tests, and a clean exit)."""
        refresh = self._refresh
        if refresh is not None:
            refresh.join()

    def _read_apart(self) -> None:
        """Read the words through a connection of this thread's own."""
        try:
            store = Store(self.path, readonly=True)
            try:
                version = store.vectors_version
                self._keep(version, CorpusWords.read(store))
            finally:
                store.close()
        except Exception:  # e.g. the base was moved away: the words before keep answering
            log.exception("reading the corpus's words for the spelling suggestions failed")

    def _keep(self, version: int, words: CorpusWords) -> None:
        """Keep the words read at ``version``: one reading at a time, so always the latest (a
        restored base may go back to an older version)."""
        with self._lock:
            self._kept = (version, words)


class Speller:
    """Spelling suggestions for the searches of one read connection, from the process's words."""

    def __init__(self, store: Store, words: WordKeeper) -> None:
        self.store = store
        self.words = words

    def nearest(self, word: str, words: CorpusWords | None = None) -> str | None:
        """The corpus word a typo most likely meant, or None (``words``: the corpus's, if already read)."""
        folded = fold_word(word)
        words = words or self.words.current(self.store)
        counts = words.counts
        if len(folded) < MIN_LENGTH or folded in counts or _stop_word(folded) or stem(folded) in words.stems:
            return None
        if dictionary_word(word):
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = 1 if len(folded) <= 8 else 2
        same_start = words.by_first.get(folded[0], [])
        found = process.extract(folded, same_start, scorer=OSA.distance, score_cutoff=limit, limit=20)
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], -counts[item[0]], item[0]))
        return words.surface[best[0]]

    def correct(self, query: str, vocabulary: QueryVocabulary | None = None, version: int | None = None) -> str | None:
        """The query with its unknown words corrected, or None when nothing changes; its glossary
        names are left as they are (``vocabulary``: the query's ``read_query``, if already read;
        ``version``: the corpus version, if the search has just read it)."""
        if vocabulary is None:
            from kb.glossary import read_query

            vocabulary = read_query(query)
        named = {fold(w) for surface, _ in vocabulary.entries for w in surface.split()}
        words = self.words.current(self.store, version)
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group(0)
            if fold_word(word) in named or word.isupper():
                return word
            better = self.nearest(word, words)
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
    bare = _ELISION.split(word.lower())[-1]
    return bare in dictionary_words("fr") or bare in dictionary_words("en")


@read_once
def dictionary_words(language: str) -> frozenset[str]:
    """pyspellchecker's word list for a language, read from its gzip JSON resource directly: the
    ``SpellChecker`` class would also count every letter of every word, doubling the load (0.42 s
    to 0.20 s for French and English; both are read on the first word that needs them)."""
    resource = files("spellchecker") / "resources" / f"{language}.json.gz"
    return frozenset(word.lower() for word in json.loads(gzip.decompress(resource.read_bytes())))
