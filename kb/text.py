"""French text analysis shared by the keyword index, the snippets and the query parser.

One analyser for documents and queries: lower-case, accents folded, inclusive-writing points
("salarié.e.s") kept inside the word, then the Snowball French stemmer, so that "mobilisation",
"mobiliser" and "Mobilisés" meet on one stem.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache, partial
from typing import NamedTuple

import Stemmer

_STEMMER = Stemmer.Stemmer("french")
# A word: letters/digits, with inner apostrophes split off (l'emploi -> emploi) and inner points
# of inclusive writing kept together (facilitateur.rice.s -> facilitateur).
_WORD = re.compile(r"(\w+)(?:[.·]\w+)*", re.UNICODE)  # the word: its first letters and digits
# Characters that never belong in a sheet and that a terminal or a reader obeys: C0 controls (NUL,
# BEL, ESC sequences) but tab, newline and carriage return; DEL and the C1 controls; the
# bidirectional embeddings, overrides and isolates (U+202E shows "fdp.exe" as "exe.pdf"); lone
# surrogates (JSON's "\\ud800" decodes to one, and no encoder, SQLite's included, accepts it).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ENGLISH_SHAPE = re.compile(r"(?:ing|ship|ness|ful|wh|th|w|ck|ee|oo)(?:s)?$|^(?:wh|th)|w")

FRENCH_STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "l",
        "j",
        "m",
        "n",
        "s",
        "t",
        "y",
        "ete",
        "etre",
        "est",
        "sont",
        "ont",
        "a",
        "plus",
        "comme",
        "tout",
        "tous",
        "toute",
        "toutes",
        "aussi",
        "ainsi",
        "dont",
        "cela",
        "ceci",
        "entre",
        "vers",
        "chez",
        "sans",
        "sous",
    ]
)
ENGLISH_STOPWORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "for",
        "on",
        "with",
        "by",
        "as",
        "at",
        "from",
        "that",
        "this",
        "these",
        "those",
        "an",
        "it",
        "its",
        "or",
        "not",
        "but",
        "which",
        "who",
        "whom",
        "what",
        "when",
        "where",
        "why",
        "how",
        "their",
        "them",
        "they",
        "we",
        "our",
        "you",
        "your",
        "his",
        "her",
        "between",
        "into",
        "about",
        "over",
        "under",
        "than",
        "then",
        "there",
        "here",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "run",
        "using",
        "used",
    ]
)


def strip_controls(text: str) -> str:
    """``text`` without control characters (newlines and tabs kept): for every text coming in."""
    return _CONTROLS.sub("", text)


def escape_controls(text: str) -> str:
    """``text`` with control characters shown as ``\\uXXXX`` (valid in JSON strings too), so
    that printing stored text never drives the operator's terminal."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _Unmarked(dict[int, int | None]):
    """A ``str.translate`` table dropping combining marks, filled as characters are met (those of
    the Basic Multilingual Plane kept: at most 65,536 entries)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if code < 0x10000:
            self[code] = kept
        return kept


_UNMARKED = _Unmarked()


def fold(text: str) -> str:
    """Lower-case and strip accents ("Économie" -> "economie"); length may change."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():  # nothing to strip: most words, and every query in English
        return decomposed
    return decomposed.translate(_UNMARKED).replace("œ", "oe").replace("æ", "ae")


# The per-word caches below are filled by users' queries too: bounded at a few thousand words (real
# query vocabularies), so random words sent by a bot cost a bounded few MB.
@lru_cache(maxsize=8192)
def fold_word(word: str) -> str:
    """``fold`` of one word, kept: queries and passages repeat the same words."""
    return fold(word)


def words(text: str) -> list[str]:
    """Surface words of a text, in order, without elided articles ("l'emploi" -> "emploi")."""
    return [w.word for w in analysed(text)]


class Word(NamedTuple):
    """A word of a text as ``analysed`` reads it."""

    word: str  # as written, without an elided article
    start: int  # where it starts in the text
    term: str | None  # its index term; None for a stop word or a lone letter
    folded: str  # ``fold_word``
    stem: str  # ``stem``, stop words included


# A search reads its query several times (its language, glossary names, expansion, evidence): the
# last texts' analyses are kept (a few, since passages pass through here too when indexed).
@lru_cache(maxsize=64)
def analysed(text: str) -> tuple[Word, ...]:
    """Each word of a text, where it starts, its index term, folded form and stem (``_forms``):
    every reader of a query (its language, its names, its terms) takes what it needs from here."""
    return tuple(_word((m[1], m.start(), *_forms(m[1]))) for m in _WORD.finditer(text.replace("’", "'")))


# A Word of a 5-tuple, built in C: ``Word(...)`` and ``Word._make`` run Python code (a query's
# analysis took 60 % longer with them).
_word = partial(tuple.__new__, Word)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The folded Snowball French stem of one word."""
    return fold(_STEMMER.stemWord(word.casefold()))


def terms(text: str) -> list[str]:
    """Index terms of a text: folded stems, stop words removed."""
    return [w.term for w in analysed(text) if w.term is not None]


@lru_cache(maxsize=4096)
def phrase_terms(phrase: str) -> tuple[str, ...]:
    """``terms`` of a phrase of the field's vocabulary (a glossary name, a tag's label, a lexicon
    word's French ones), kept apart from the last texts': they recur from query to query."""
    return tuple(terms(phrase))


def term_words(text: str) -> list[str]:
    """The words of a text ``terms`` keeps, in the same order (``terms`` holds their stems)."""
    return [w.word for w in analysed(text) if w.term is not None]


@lru_cache(maxsize=8192)
def _forms(word: str) -> tuple[str | None, str, str]:
    """A word's index term (None for a stop word or a lone letter), its ``fold_word`` and its
    ``stem``: one lookup per word of a query for all its readers."""
    folded, stemmed = fold_word(word), stem(word)
    kept = folded not in FRENCH_STOPWORDS and (len(folded) >= 2 or folded.isdigit())
    return (stemmed if kept else None), folded, stemmed


def english_shape(folded_word: str) -> bool:
    """Whether a word looks English (-ing, -ship, wh-, th-, w…): French words rarely do."""
    return bool(_ENGLISH_SHAPE.search(folded_word))


def slugify(text: str, max_length: int = 60) -> str:
    """A readable sheet id from a title ("Économie circulaire !" -> "economie-circulaire")."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:max_length].strip("-")
    return slug or "fiche"
