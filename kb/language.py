"""The language of a query: French (the corpus's language), English, German, Spanish or other.

Hand-made from stop words, accents, word shapes and the words only a general English dictionary
holds (« several », « tender »; short English queries of corpus cognates read as French, and
missed the English lexicon: see ``kb.glossary``), with the corpus as tie-breaker: when the cues
tie, a query whose words the French corpus mostly holds (typos included: see ``kb.spelling``) is
French. Compared with lingua-language-detector 2.1.1 restricted to the same four languages, on
the training, dev and off-topic sets (README, « Search quality »): lingua labels more queries
right overall (0.95 against 0.91 French/not French), but its extra successes are off-topic
English queries, where the language changes nothing, while on queries that have answers it sends
acronyms and field terms elsewhere (« ANRU », « aller-vers » → German, « social landlords » →
French with a corpus tie-break); the hand-made detector misses one (a German query), costs no
model in memory and no start-up, so it is kept.
"""

from __future__ import annotations

from functools import lru_cache

from kb.loading import read_once
from kb.spelling import dictionary_words
from kb.text import ENGLISH_STOPWORDS, FRENCH_STOPWORDS, Word, analysed, english_shape, fold

GERMAN = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "für",
        "fur",
        "mit",
        "von",
        "ein",
        "eine",
        "einer",
        "ist",
        "nicht",
        "im",
        "in",
        "den",
        "dem",
        "zu",
        "auf",
        "wie",
    ]
)
SPANISH = frozenset(
    [
        "el",
        "la",
        "los",
        "las",
        "y",
        "del",
        "para",
        "con",
        "una",
        "un",
        "por",
        "como",
        "en",
        "de",
        "que",
        "al",
        "su",
        "sus",
    ]
)
GERMAN_ENDINGS = ("ung", "keit", "heit", "schaft", "lich")
FRENCH_MARKS = "éèêàçùâîôûœë"
# German and Spanish function words beyond the cues above (pronouns, prepositions, conjunctions,
# auxiliaries, folded): they say no subject (« bei », « zwischen », « sin », « hay » counted as words a
# query says no tag names, and were looked up in the lexicon). Not cues: a French query holds
# « entre » or « sur » too. Words that are also French content words (« an », « sein », « bis »,
# « pro », « mis », « sobre », « mas ») are left out.
GERMAN_FUNCTION = frozenset(
    [
        "als",
        "aber",
        "auch",
        "aus",
        "bei",
        "beim",
        "damit",
        "dass",
        "diese",
        "diesem",
        "dieser",
        "dieses",
        "durch",
        "einem",
        "einen",
        "eines",
        "einmal",
        "er",
        "etwas",
        "gegen",
        "haben",
        "hat",
        "ich",
        "ihr",
        "ihre",
        "ihrem",
        "ihren",
        "ihrer",
        "ins",
        "jede",
        "jeder",
        "kann",
        "kein",
        "keine",
        "konnen",
        "man",
        "mehr",
        "muss",
        "nach",
        "noch",
        "nur",
        "ob",
        "oder",
        "seine",
        "seinem",
        "seinen",
        "seiner",
        "seit",
        "sehr",
        "selbst",
        "sich",
        "sie",
        "sind",
        "soll",
        "sollen",
        "uber",
        "um",
        "unser",
        "unsere",
        "unter",
        "vom",
        "vor",
        "warum",
        "was",
        "weil",
        "welche",
        "welcher",
        "wenn",
        "wer",
        "werden",
        "wie",
        "wieder",
        "wir",
        "wird",
        "wo",
        "wurde",
        "zum",
        "zur",
        "zwischen",
    ]
)
SPANISH_FUNCTION = frozenset(
    [
        "a",
        "ante",
        "antes",
        "cual",
        "cuales",
        "cuando",
        "cuanta",
        "cuantas",
        "cuanto",
        "cuantos",
        "cuyo",
        "cuya",
        "donde",
        "e",
        "es",
        "esa",
        "ese",
        "eso",
        "esta",
        "estan",
        "estar",
        "estas",
        "este",
        "esto",
        "estos",
        "ha",
        "hace",
        "han",
        "hasta",
        "hay",
        "le",
        "les",
        "lo",
        "me",
        "menos",
        "mi",
        "muy",
        "ni",
        "nos",
        "nuestra",
        "nuestras",
        "nuestro",
        "nuestros",
        "o",
        "otra",
        "otras",
        "otro",
        "otros",
        "pero",
        "puede",
        "pueden",
        "que",
        "se",
        "ser",
        "sin",
        "son",
        "tambien",
        "toda",
        "todas",
        "todo",
        "todos",
        "tras",
        "u",
        "vez",
        "ya",
    ]
)
# Words that say nothing of a subject in the languages read here (French ones ``terms`` drops already).
FUNCTION_WORDS = ENGLISH_STOPWORDS | GERMAN | SPANISH | GERMAN_FUNCTION | SPANISH_FUNCTION
_STOP_WORDS = FUNCTION_WORDS | FRENCH_STOPWORDS  # cues already, or none


def detect_language(text: str, known_words: frozenset[str] | set[str] = frozenset()) -> str:
    """'fr', 'en', 'de', 'es' or 'other', from cues; ties go to French when most words are known."""
    tokens = [w.folded for w in analysed(text)]
    if not tokens:
        return "fr"
    fr, en, de, es = map(sum, zip(*map(_word_cues, tokens), strict=True))
    lowered = text.lower()
    if not lowered.isascii():  # the letters counted here are none of ASCII's
        fr += _count(lowered, FRENCH_MARKS)
        de += 2 * _count(lowered, "äöüß")
        es += 2 * _count(lowered, "ñáíóú¿¡")
    cues = {"fr": fr, "en": en, "de": de, "es": es}
    known = sum(t in known_words for t in tokens)
    if 2 * known > len(tokens):
        cues["fr"] += 1  # the corpus's own words: French unless other cues clearly say otherwise
    if cues["fr"] == max(cues.values()):  # French wins or ties: do words only English has say otherwise?
        cues["en"] += sum(_english_only(t) for t in tokens if t not in known_words and t not in _STOP_WORDS)
    best = max(cues.values())
    leaders = [lang for lang, n in cues.items() if n == best]
    if best == 0:
        return "fr" if not known_words or known else "other"
    return leaders[0] if len(leaders) == 1 else ("fr" if "fr" in leaders else leaders[0])


@lru_cache(maxsize=8192)  # filled by users' queries: a few thousand words, not what a bot sends
def _word_cues(token: str) -> tuple[int, int, int, int]:
    """What a folded word says for French, English, German and Spanish (kept per word: queries
    repeat their words)."""
    return (
        token in FRENCH_STOPWORDS and token not in SPANISH,
        (token in ENGLISH_STOPWORDS) + english_shape(token),
        token in GERMAN or token.endswith(GERMAN_ENDINGS),
        token in SPANISH and token not in FRENCH_STOPWORDS,
    )


def _count(text: str, chars: str) -> int:
    """How many characters of ``text`` are among ``chars`` (each counted in C, not per character)."""
    return sum(map(text.count, chars))


def _english_only(token: str) -> bool:
    """A folded word of a general English dictionary that no French one holds (« several »,
    « tender », « cleaning »: pyspellchecker's lists, as the spelling suggestions read them,
    loaded once per process, 0.4 s, when a query would otherwise be read as French); the corpus's
    own words never count (« sourcing », « reporting » are French there)."""
    return token in dictionary_words("en") and token not in _french_words()


@read_once
def _french_words() -> frozenset[str]:
    return frozenset(fold(w) for w in dictionary_words("fr"))


def load_word_lists() -> None:
    """Load the general word lists now rather than on the first query that needs them (a serving
    process's warm-up: ``KnowledgeBase.warm_up``)."""
    for language in ("fr", "en"):
        dictionary_words(language)
    _french_words()


def is_content_word(word: Word) -> bool:
    """Whether a word says something of a subject: it has an index term (no French stop word, no
    lone letter) and is no English, German or Spanish function word."""
    return word.term is not None and word.folded not in FUNCTION_WORDS


def content_words(text: str) -> list[Word]:
    """The words of a text that say something (``is_content_word``): « how do other cities involve
    social landlords? » says other, cities, involve, social landlords."""
    return [w for w in analysed(text) if is_content_word(w)]


def content_terms(text: str) -> list[str]:
    """``terms`` of a text without English, German or Spanish function words: what a query says."""
    return [w.term for w in content_words(text) if w.term is not None]
