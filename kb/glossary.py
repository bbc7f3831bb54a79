"""The field's vocabulary for search and for readers: glossary entries and the names of tags.

``kb/data/glossary.yaml`` holds the terms and acronyms of the clause sociale (each with its full
form, a French definition, English equivalents, synonyms, related vocabulary tags and the public
text defining it) and other names of the vocabulary's entries. Search reads a query through it
(``read_query``): which entries and tags the query names, and the French words to add to it so both
retrievers see them; pages use ``explain_acronyms`` to explain acronyms with ``<abbr title>``.
``kb/data/lexicon.yaml`` holds everyday English, German and Spanish words of the field and their
French ones, read for a query not in French (``QueryVocabulary.translations``; a German query's
compounds through their parts, ``QueryVocabulary.with_compounds``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from html import escape
from typing import Any, NamedTuple

import Stemmer
from markupsafe import Markup

from kb.language import content_words, is_content_word
from kb.text import analysed, fold, fold_word, phrase_terms, stem, term_words, terms
from kb.vocabulary import FACETS, read_data, vocabulary

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)
_ELIDED = re.compile(r"^(?:[ld]|qu)['’]", re.IGNORECASE)  # l', d', qu' before a word
_PARENS = re.compile(r"\(([^)]*)\)")
_LABEL_PARTS = re.compile(r"[(),]")
# Entries kept by each cache keyed on a query word: real queries use a few thousand words, and the
# words come from users (random words from a bot must not fill memory: ~3.7 kB a word along the chain).
QUERY_WORDS = 8192
_APOSTROPHE_OR_HYPHEN = re.compile(r"[-'’]")
# Names are written in French, English, German and Spanish: the French stemmer alone leaves
# « tenant » and « tenants » apart (« ten »), or « mujer » and « mujeres », « benachteiligte » and
# « benachteiligten ».
_OTHER_STEMMERS = tuple(Stemmer.Stemmer(language) for language in ("english", "german", "spanish"))
# What such a stemmer may strip for two words to meet: an inflection (plural, case, gender), not a
# derivation (« training » does not meet « train »; « formation » and « format » still meet through
# their French stem, as « mobilisation » and « mobiliser » must).
_INFLECTIONS = frozenset({"", "s", "es", "e", "en", "n", "a", "o", "as", "os"})
# Inflections the stemmers leave apart: a plural and its singular where the stemmer cuts more than
# the plural's « s » (« jobseekers » and « jobseeker », cut to « jobseek »; « bodies » and « body »,
# whose stem « bodi » is no prefix of « body »), and the Spanish participles and adjectives, which
# agree in gender and number (« personas desempleadas », « desempleados de larga duración »; the
# stemmer cuts both to « desempl », as it cuts « empleo »).
_PLURAL = re.compile(r"(\w+?)(ies|(?<![su])s)")
_SPANISH_PARTICIPLE = re.compile(r"(\w*[ai]d)[ao]s?")
# A Spanish plural in « es » after a consonant (« facilitadores », « diputaciones »): its singular
# (« facilitador », « diputación ») is no prefix the stemmer keeps (« facilit »).
_SPANISH_PLURAL = re.compile(r"(\w+[rlnd])es")


@dataclass(frozen=True)
class Entry:
    """One glossary term; ``exact_case`` acronyms (AI, EA…) count only written in capitals."""

    term: str
    definition: str
    source: str
    full: str = ""
    english: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exact_case: bool = False

    @property
    def is_acronym(self) -> bool:
        return self.term.isupper()

    @property
    def french(self) -> str:
        """What the entry adds to a query: the term and its full form, in French."""
        return f"{self.term} {self.full}".strip()

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", fold(self.term)).strip("-")


@dataclass(frozen=True)
class _Name:
    stems: tuple[frozenset[str], ...]  # each word's ``_word_keys``
    exact: str | None  # an acronym to find written exactly so
    entry: Entry | None
    tags: tuple[str, ...]
    surface: str
    compounds: tuple[str, ...] = ()  # hyphenated words a stop word hides from ``stems`` (aller-vers)


class Translation(NamedTuple):
    """Words of a query as written (``said``, from ``start``) and the French words they stand for;
    ``read`` is what the model reads in their place when not the first French word (a German
    compound's parts: « Frauenanteil » -> « Frauen part »)."""

    said: str
    french: str
    start: int
    read: str = ""


@dataclass
class QueryVocabulary:
    """What a query names: glossary entries (with the words found), tags, and the French expansion."""

    entries: list[tuple[str, Entry]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # vocabulary key -> words of the query naming it
    expansion: str = ""
    full_forms: str = ""  # the full form of each acronym the query writes (« ANRU » -> its agency)
    translations: list[Translation] = field(default_factory=list)
    unread: list[tuple[str, int]] = field(default_factory=list)  # words no name nor lexicon word holds, where

    def with_compounds(self) -> QueryVocabulary:
        """The same with the German compounds among the words left unread read through their parts
        (``_compound``): for a query the searcher reads as German."""
        compounds = [
            found for word, start in self.unread if len(word) <= MAX_COMPOUND and (found := _compound(word, start))
        ]
        if not compounds:
            return self
        return replace(self, translations=sorted([*self.translations, *compounds], key=lambda t: t.start))

    @property
    def translation(self) -> str:
        """The French words of the lexicon's everyday words the query holds (« cleaning construction
        sites » -> « nettoyage entretien ; chantier chantiers »: its commas part the words for
        reasons only)."""
        return " ; ".join(dict.fromkeys(t.french.replace(",", "") for t in self.translations))

    @property
    def names_acronym(self) -> bool:
        """Whether the query names an acronym of the field, as written or spelt out (« VNF », « Voies
        navigables de France »): e5 does not know the field's acronyms, the glossary does."""
        return any(
            entry.is_acronym and terms(said) in (terms(entry.term), terms(entry.full)) for said, entry in self.entries
        )

    def expanded(self, query: str, translate: bool = False) -> str:
        """The query with every French word its names stand for: what the keyword side reads;
        with ``translate`` (a query not in French), its everyday words' French ones too. Search
        takes its terms from ``expanded_terms`` (the same, read phrase by phrase); this text is
        the definition they are tested against."""
        added = " ; ".join(self._added(translate))
        return f"{query} ({added})" if added else query

    def expanded_terms(self, query: str, translate: bool = False) -> list[str]:
        """``terms`` of ``expanded``: the query's, then those of each French phrase added, which
        recur from query to query (``phrase_terms``: analysed once)."""
        added = (phrase_terms(phrase) for x in self._added(translate) for phrase in x.split(" ; "))
        return [*terms(query), *(term for found in added for term in found)]

    def _added(self, translate: bool) -> list[str]:
        return [x for x in (self.expansion, self.translation if translate else "") if x]

    def spelled_out(self, query: str, translate: bool = False) -> str:  # ``query``: what was read
        """The query with the full form of each acronym it writes: what the model reads. It knows
        the field's words but not its acronyms (« ANRU » sits next to « ANAR »); the whole expansion
        would double the encoding time for one better query in 124 of the training set. An
        acronym's entry named in other words (« social housing », « associations intermédiaires »)
        adds nothing: the model reads those words. Its French full form appended there made a fifth
        of the training and validation queries a median 62 % longer to encode, for a worse
        calibration (cross-validated precision of strong marks 0.841 against 0.873 without it, at
        a strong first 0.940 and 0.942; R@1 and MRR the same). With
        ``translate`` (a query not in French), each everyday word the lexicon knows is replaced by
        its first French word (« temporary remplacement of nettoyage salariés in collèges »): the
        model meets French passages closer in French (dense R@1 of the English training queries
        0.691 -> 0.853), and the text to encode stays as long. Appending the French words instead
        gave 0.765, and a third more to encode."""
        for t in reversed(self.translations) if translate else ():  # right to left: places hold
            query = query[: t.start] + (t.read or t.french.split(",")[0].strip()) + query[t.start + len(t.said) :]
        return f"{query} ({self.full_forms})" if self.full_forms else query


@cache
def _glossary() -> dict[str, Any]:
    return read_data("glossary.yaml")


@cache
def entries() -> tuple[Entry, ...]:
    data = _glossary()
    return tuple(
        Entry(
            term=item["term"],
            definition=item["definition"],
            source=item["source"],
            full=item.get("full") or "",
            english=tuple(item.get("english") or ()),
            synonyms=tuple(item.get("synonyms") or ()),
            tags=tuple(item.get("tags") or ()),
            exact_case=bool(item.get("exact_case")),
        )
        for item in data["entries"]
    )


@cache
def tag_names() -> dict[str, tuple[str, ...]]:
    data = _glossary()
    return {key: tuple(names) for key, names in (data.get("tag_names") or {}).items()}


@cache
def tags_named_together() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Tags a query names by naming two things together: each, the groups of tags or glossary
    terms it needs one of each (« public contracts for work integration enterprises » names the
    theme « La commande publique, une opportunité pour les structures de l'IAE »; public
    procurement alone, which nearly every query of the field is about, does not)."""
    data = _glossary()
    return {key: tuple(tuple(g) for g in groups) for key, groups in (data.get("tags_named_together") or {}).items()}


def tag_label(key: str) -> tuple[str, str] | None:
    """(facet, French label) of a vocabulary key, any facet."""
    return _tag_labels().get(key)


@cache
def _tag_labels() -> dict[str, tuple[str, str]]:
    """Each vocabulary key's (facet, French label), from the first facet labelling it."""
    labels: dict[str, tuple[str, str]] = {}
    for facet in FACETS:
        for key, label in vocabulary().terms.get(facet, {}).items():
            if label:
                labels.setdefault(key, (facet, label))
    return labels


@cache
def _tag_phrases() -> dict[str, str]:
    """Each vocabulary key's label without its parentheses: the French words a query naming the
    tag adds to the keyword side."""
    return {key: _PARENS.sub("", label).strip() for key, (_, label) in _tag_labels().items()}


@cache
def label_phrases() -> dict[str, tuple[str, ...]]:
    """Each vocabulary key's label cut at its parentheses and commas: the phrases a page explains a
    named tag by (« Insertion (IAE) »: « Insertion », « IAE »)."""
    return {
        key: tuple(p.strip() for p in _LABEL_PARTS.split(label) if p.strip())
        for key, (_, label) in _tag_labels().items()
    }


@lru_cache(maxsize=QUERY_WORDS)
def _word_keys(word: str) -> frozenset[str]:
    """What a word of a name or a query matches on: the word itself, its French stem, and its
    English, German and Spanish stems where that stemmer strips an inflection only, its singular,
    and a Spanish participle's masculine singular. Two words match when they share a key:
    « tenants » meets « tenant », « mujeres » « mujer », « benachteiligten » « benachteiligte »,
    « jobseekers » « jobseeker », « desempleadas » « desempleados », « facilitadores »
    « facilitador » (not « Mietern » « Mieter »:
    « ern » is not an inflection here). A French
    stem of under four letters cut from a longer ending is left out: the French stemmer reads
    « tenants » as « ten »."""
    folded = fold(word)
    keys = {_exact_key(word)}
    french = stem(word)
    if len(french) >= 4 or len(folded) - len(french) <= 2:
        keys.add(french)
    for language, stemmer in enumerate(_OTHER_STEMMERS, start=1):
        base = fold(stemmer.stemWord(word.casefold()))
        if folded.startswith(base) and folded[len(base) :] in _INFLECTIONS:
            keys.add(f"{language}:{base}")  # a French stem holds neither a colon nor « = »
    plural = _PLURAL.fullmatch(folded)
    keys.add(f"singular:{plural[1] + ('y' if plural[2] == 'ies' else '') if plural else folded}")
    if spanish := _SPANISH_PLURAL.fullmatch(folded):
        keys.add(f"singular:{spanish[1]}")
    if participle := _SPANISH_PARTICIPLE.fullmatch(folded):
        keys.add(f"3:{participle[1]}o")
    return frozenset(keys)


def _exact_key(word: str) -> str:
    """The key of the word itself (a French stem holds no « = »)."""
    return f"={fold(word)}"


def _keys(text: str) -> tuple[frozenset[str], ...]:
    return tuple(_word_keys(w) for w in term_words(text))


def _name(surface: str, entry: Entry | None, tags: tuple[str, ...]) -> _Name | None:
    """A name as search matches it; one written « =word » matches that word exactly, no other
    form: the English « tenants » must not name a tag in « en tenant compte »."""
    if surface.startswith("="):
        surface = surface[1:]
        stems = tuple(frozenset({_exact_key(w)}) for w in term_words(surface))
    else:
        stems = _keys(surface)
    if not stems:
        return None
    exact = surface if entry is not None and entry.exact_case and surface == entry.term else None
    hidden = tuple(_spaced(w) for w in re.findall(r"\w+(?:-\w+)+", surface) if len(term_words(w)) < w.count("-") + 1)
    return _Name(stems, exact, entry, tags, surface, hidden)


def _spaced(text: str) -> str:
    """Folded, hyphens as spaces, padded: « aller-vers » and « aller vers » alike, whole words."""
    words = _APOSTROPHE_OR_HYPHEN.sub(" ", fold(text)).split()
    return f" {' '.join(words)} "


@cache
def _names() -> tuple[_Name, ...]:
    """Every name search recognises, longest first (a longer name wins over one inside it)."""
    found: list[_Name | None] = []
    for entry in entries():
        for surface in (entry.term, entry.full, *entry.english, *entry.synonyms):
            for part in (p.strip() for p in surface.split(",")) if surface == entry.term else (surface,):
                if part:
                    found.append(_name(part, entry, entry.tags))
    for facet in FACETS:
        for key, label in vocabulary().terms[facet].items():
            found.append(_name(_PARENS.sub("", label), None, (key,)))
            for inner in _PARENS.findall(label):
                found.extend(_name(a.strip(), None, (key,)) for a in inner.split(","))
    for key, names in tag_names().items():
        found.extend(_name(n, None, (key,)) for n in names)
    unique = {(n.stems, n.exact, n.entry, n.tags): n for n in found if n is not None}
    return tuple(sorted(unique.values(), key=lambda n: -len(n.stems)))


@cache
def _names_by_key() -> tuple[dict[str, tuple[tuple[int, _Name], ...]], dict[str, frozenset[int]]]:
    """(rank in ``_names``, name) by each key of a name's first word, and the ranks of the names by
    each key of their second word."""
    by_first: dict[str, list[tuple[int, _Name]]] = {}
    by_second: dict[str, set[int]] = {}
    for rank, name in enumerate(_names()):
        for key in name.stems[0]:
            by_first.setdefault(key, []).append((rank, name))
        for key in name.stems[1] if len(name.stems) > 1 else ():
            by_second.setdefault(key, set()).add(rank)
    return (
        {key: tuple(names) for key, names in by_first.items()},
        {key: frozenset(ranks) for key, ranks in by_second.items()},
    )


_Reading = tuple[frozenset[str], tuple[tuple[int, _Name], ...], frozenset[int]]


@lru_cache(maxsize=QUERY_WORDS)
def _reading(word: str) -> _Reading:
    """A query word as names are matched: its keys (``_word_keys``), (rank, name) of the names it
    may start, and the ranks of those it may be the second word of or (one word) be whole. Kept per
    word (one lookup: queries repeat their words, the glossary has hundreds of names)."""
    keys = _word_keys(word)
    by_first, by_second = _names_by_key()
    first = {rank: name for k in keys for rank, name in by_first.get(k, ())}
    second = {rank for rank, name in first.items() if len(name.stems) == 1}
    return keys, tuple(sorted(first.items())), frozenset(second.union(*(by_second.get(k, ()) for k in keys)))


def _names_in(query: str, readings: tuple[_Reading, ...], query_keys: tuple[frozenset[str], ...]) -> list[_Name]:
    """The names that may occur in a query, in ``_names``'s order: each word of theirs shares a
    key with a word of the query (the first two found per word, the others checked here), an
    acronym found written exactly so, a hidden compound found."""
    reached: dict[int, _Name] = {}
    seconds: set[int] = set()
    for _, first, second in readings:
        reached.update(first)
        seconds.update(second)
    present = set().union(*query_keys)
    names = [
        name
        for name in map(reached.__getitem__, sorted(seconds.intersection(reached)))
        if all(not w.isdisjoint(present) for w in name.stems[2:])
    ]
    if any(name.exact is not None or name.compounds for name in names):
        tokens = _TOKEN.findall(query)
        surface, spaced = set(_surface_words(tokens)), _spaced(" ".join(tokens))
        names = [
            name
            for name in names
            if (name.exact is None or not surface.isdisjoint(_with_plural(name.exact)))
            and all(c in spaced for c in name.compounds)
        ]
    return names


def _surface_words(tokens: list[str]) -> list[str]:
    """A query's ``_TOKEN`` words as written, an elided l', d' or qu' dropped (« l'ESS », « qu'ESS
    France »: the elided words an acronym follows; « j'ai » keeps its « ai »); hyphenated words
    stay whole (« AI-generated » does not write « AI »)."""
    return [_ELIDED.sub("", token) for token in tokens]


def _with_plural(acronym: str) -> tuple[str, str]:
    """An acronym and its plural as written (« SIAE », « SIAEs »)."""
    return acronym, acronym + "s"


def _written_acronyms(query: str) -> list[Entry]:
    """The glossary's acronyms with a full form that a query writes, in its order, once each:
    among its ``_surface_words``, plural included (« SIAE », « SIAEs »); in capitals when the
    acronym is also a word (``exact_case``: « AI », « EA »), in any case otherwise, and then
    inside a hyphenated word too (« anru », « ANRU-funded »). Found whether or not another
    name holds the word (« structures de l'IAE » writes IAE)."""
    exact, folded = _acronym_forms()
    found: dict[str, Entry] = {}
    for word in _surface_words(_TOKEN.findall(query)):
        if word in exact:
            written = [exact[word]]
        else:  # folded, each part of a hyphenated word
            written = [folded[form] for form in map(fold_word, word.split("-")) if form in folded]
        for entry in written:
            found.setdefault(entry.term, entry)
    return list(found.values())


@cache
def _acronym_forms() -> tuple[dict[str, Entry], dict[str, Entry]]:
    """The acronyms with a full form by the forms a query writes them in: as written for those
    that are also words (``exact_case``), folded for the others; each with its plural."""
    by_term = _acronyms()[1]
    exact = {form: e for term, e in by_term.items() if e.exact_case for form in _with_plural(term)}
    folded = {form: e for term, e in by_term.items() if not e.exact_case for form in _with_plural(fold_word(term))}
    return exact, folded


def _starts(keys: tuple[frozenset[str], ...], query_keys: tuple[frozenset[str], ...], gapped: bool) -> list[int]:
    """Where a name of these keys may start among a query's words: its first word there, and room
    for the name as a run or (``gapped``) with one more word inside (``_gapped``)."""
    last = len(query_keys) - len(keys) - (1 if gapped else 0)
    first = keys[0]
    return [i for i in range(last + 1) if not first.isdisjoint(query_keys[i])]


def _gapped(n: int, start: int) -> Iterator[tuple[int, ...]]:
    """Where a name of ``n`` words starting at ``start`` may sit among a query's words with one
    more word inside, the way a qualifier slips into a name (« partnerships with private
    companies », « marchés publics de travaux »)."""
    for skip in range(start + 1, start + n):
        yield tuple(i for i in range(start, start + n + 1) if i != skip)


def read_query(query: str, lexicon: bool = True) -> QueryVocabulary:
    """The glossary entries and vocabulary tags a query names, and its French expansion; with
    ``lexicon`` (a query not in French, or of a language not known yet), the lexicon's everyday
    words it holds and the words left unread too (``_translate``: only a query not in French reads
    them).

    Names match on analysed words (stems, accents folded; see ``_word_keys``) as a run of the
    query's words, the longest first; an acronym that is also a word matches only written in capitals.
    A name of three words or more found nowhere as a run may then match with one extra word inside
    (in a two-word name the extra word too often changes the thing named: « service concession
    contracts » are no « service contracts »), over words no name holds or holding whole a shorter
    name found as a run: « partnerships with private companies » names partnerships beside
    companies, but « public works contracts » stays works only.
    """
    readings = tuple(_reading(w) for w in term_words(query))
    query_keys = tuple(keys for keys, _, _ in readings)
    out = QueryVocabulary()
    seen: set[Entry] = set()
    words: list[str] = []
    found: list[range] = []  # the words of each name found as a run
    said: set[int] = set()  # the words of every name found, which the lexicon leaves to them
    unmatched = []
    for name in _names_in(query, readings, query_keys):
        for start in _starts(name.stems, query_keys, gapped=False):
            span = range(start, start + len(name.stems))
            if not any(_overlap(span, run) for run in found) and _meets(name, query_keys, span):
                found.append(span)
                said.update(span)
                _record(name, out, seen, words)
                break
        else:
            unmatched.append(name)
    for name in (n for n in unmatched if len(n.stems) >= 3):
        starts = _starts(name.stems, query_keys, gapped=True)
        for at in (at for start in starts for at in _gapped(len(name.stems), start)):
            span = range(at[0], at[-1] + 1)
            held = [run for run in found if _overlap(span, run)]
            if _meets(name, query_keys, at) and all(
                run[0] >= span[0] and run[-1] <= span[-1] and len(run) < len(at) for run in held
            ):
                said.update(at)
                _record(name, out, seen, words)
                break
    _name_together(out, words)
    folded = fold(query)
    said_terms = set(terms(query))
    out.full_forms = " ; ".join(e.full for e in _written_acronyms(query) if not set(phrase_terms(e.full)) <= said_terms)
    out.expansion = " ; ".join(dict.fromkeys(w for w in words if w and fold_word(w) not in folded))
    if lexicon:
        out.translations, out.unread = _translate(query, said)
    return out


def _name_together(out: QueryVocabulary, words: list[str]) -> None:
    """Add the tags the query names by naming one of each group of ``tags_named_together``."""
    named = {*out.tags, *(entry.term for _, entry in out.entries)}
    for key, groups in tags_named_together().items():
        if key not in out.tags and all(named & set(group) for group in groups):
            out.tags[key] = " + ".join(
                next(out.tags.get(g) or _said(out, g) for g in group if g in named) for group in groups
            )
            if (phrase := _tag_phrases().get(key)) is not None:
                words.append(phrase)


def _said(out: QueryVocabulary, term: str) -> str:
    """The words of the query naming a glossary term."""
    return next(said for said, entry in out.entries if entry.term == term)


def _overlap(a: range, b: range) -> bool:
    return a[0] <= b[-1] and b[0] <= a[-1]


def _meets(name: _Name, query_keys: tuple[frozenset[str], ...], at: Sequence[int]) -> bool:
    """Whether each word of ``name`` shares a key with the query's word at the same place of ``at``."""
    return all(not w.isdisjoint(query_keys[i]) for w, i in zip(name.stems, at, strict=True))


def _record(name: _Name, out: QueryVocabulary, seen: set[Entry], words: list[str]) -> None:
    """Note what a found name names: its entry (once) and its tags, and their French words."""
    if name.entry is not None and name.entry not in seen:
        seen.add(name.entry)
        out.entries.append((name.surface, name.entry))
        words.extend((name.entry.term, name.entry.full))
    for key in name.tags:
        out.tags.setdefault(key, name.surface)
        if (phrase := _tag_phrases().get(key)) is not None:
            words.append(phrase)


@dataclass(frozen=True)
class _Translation:
    """A name of ``lexicon.yaml`` (each word's ``_stem_keys``) and the French words it stands for."""

    keys: tuple[frozenset[str], ...]
    french: str
    exact: frozenset[str]  # each word's own key (« =licitar »)
    order: int  # its place in the file


@lru_cache(maxsize=QUERY_WORDS)
def _stem_keys(word: str) -> frozenset[str]:
    """What a word matches on in the lexicon: itself and its English, German and Spanish stems,
    derivations included (« recruitment » meets « recruiting »: the French words it adds are a
    theme, not a form to find), but no stem under four letters (Spanish « para » and « parados »
    would meet on « par »); a key of its own kind (« ~ »), so no glossary name meets it."""
    lowered = word.casefold()
    stems = (fold(s.stemWord(lowered)) for s in _OTHER_STEMMERS)
    return frozenset({_exact_key(word), *(f"{i}~{s}" for i, s in enumerate(stems, start=1) if len(s) >= 4)})


@cache
def _translations_by_first_key() -> dict[str, tuple[_Translation, ...]]:
    """The lexicon's names, longest first, reached from each key of their first word."""
    named = [
        (french, _content_words(name)) for french, names in read_data("lexicon.yaml")["words"].items() for name in names
    ]
    found = [
        _Translation(tuple(_stem_keys(w) for w in said), french, frozenset(_exact_key(w) for w in said), order)
        for order, (french, said) in enumerate(named)
        if said
    ]
    by_first: dict[str, list[_Translation]] = {}
    for item in sorted(found, key=lambda t: -len(t.keys)):
        for key in item.keys[0]:
            by_first.setdefault(key, []).append(item)
    return {key: tuple(items) for key, items in by_first.items()}


@lru_cache(maxsize=QUERY_WORDS)
def _lexicon_reading(word: str) -> tuple[frozenset[str], tuple[_Translation, ...]]:
    """A query word as the lexicon's names are matched: its keys (``_stem_keys``) and the names it
    may start (kept per word: one lookup)."""
    keys = _stem_keys(word)
    by_first = _translations_by_first_key()
    return keys, tuple({t.order: t for key in keys for t in by_first.get(key, ())}.values())


def _content_words(text: str) -> list[str]:
    """The words of a text as written, but French, English, German and Spanish function words."""
    return [w.word for w in content_words(text)]


def _translate(query: str, said: set[int]) -> tuple[list[Translation], list[tuple[str, int]]]:
    """The French words of the lexicon's names the query holds, the longest name first, names not
    overlapping, of two as long the one more of whose words are written so (« licitar » is to bid,
    « licitación » a tender: both stem to « licit »), then the first in the file; in the query's
    order, each with the words of the query it stands for: « construction site cleaning » ->
    [(« construction site », « chantier, chantiers »), (« cleaning », « nettoyage, entretien »)].
    The words of a glossary name (``said``: their places among ``term_words``) are left to it:
    its French words say the thing; the lexicon would add a word's everyday sense (« colaboración
    con empresas » names partnerships with companies, not any cooperation). Beside them, the words
    left unread (neither a name's nor the lexicon's) and where they start, for a German query's
    compounds (``QueryVocabulary.with_compounds``)."""
    read = [w for w in analysed(query) if w.term is not None]  # ``said`` counts places among these
    kept = [(i, w.word, w.start) for i, w in enumerate(read) if is_content_word(w)]
    readings = [(frozenset(), ()) if i in said else _lexicon_reading(w) for i, w, _ in kept]
    query_keys = tuple(keys for keys, _ in readings)
    reached = {t.order: t for _, starting in readings for t in starting}
    found: list[tuple[range, str]] = []
    present = set().union(*query_keys)
    for item in sorted(reached.values(), key=lambda t: (-len(t.keys), -len(t.exact & present), t.order)):
        for start in _starts(item.keys, query_keys, gapped=False):
            span = range(start, start + len(item.keys))
            if not any(_overlap(span, run) for run, _ in found) and all(
                not k.isdisjoint(query_keys[i]) for k, i in zip(item.keys, span, strict=True)
            ):
                found.append((span, item.french))
                break
    covered = {i for span, _ in found for i in span}
    return (
        [
            Translation(_surface(query, kept[span[0]], kept[span[-1]]), french, kept[span[0]][2])
            for span, french in sorted(found, key=lambda f: f[0][0])
        ],
        [(w, start) for i, (at, w, start) in enumerate(kept) if i not in covered and at not in said],
    )


# A German compound's parts: each at least this long (« Schul|baustellen », « Bestattungs|betrieb »),
# a modifier followed by one of these linking elements (« Reinigung-s-auftrag »).
COMPOUND_PART = 4
# Longer words are no compound of the field (the longest everyday ones have about 30 letters): a
# hostile 500-letter word would cost 0.1 s of splitting.
MAX_COMPOUND = 40
_LINKS = ("es", "en", "s", "n", "e")


def _compound(word: str, start: int) -> Translation | None:
    """A German compound no lexicon name holds whole, read through the parts the lexicon knows:
    German glues the field's words together (« Schulbaustellen », « Beratungsaufträge »), which no
    stem meets. The keyword side reads the French words of its known parts (the first of each, in
    their order, then the others: « Reinigungsauftrag » -> « nettoyage marché, entretien,
    marchés »); the model reads each known part's first French word in its place and the other
    parts as written (« Frauenanteil » -> « Frauen part »)."""
    # Lowered letter by letter, keeping each in its place: not casefold (« ß » would become « ss »),
    # and a letter whose lower case is longer (« İ ») stays as written, so positions hold in ``word``.
    lowered = "".join(low if len(low := c.lower()) == 1 else c for c in word)
    parts = _parts(lowered)
    if not parts:
        return None
    firsts = [[w.strip() for w in french.split(",")] for _, _, french in parts]
    french = ", ".join(dict.fromkeys([" ".join(f[0] for f in firsts), *(w for f in firsts for w in f[1:])]))
    read, at = [], 0
    for (begin, end, _), words in zip(parts, firsts, strict=True):
        read += [word[at:begin], " " if at < begin else "", words[0], " " if end < len(word) else ""]
        at = end
    return Translation(word, french, start, "".join([*read, word[at:]]).strip())


@lru_cache(maxsize=QUERY_WORDS)
def _parts(lowered: str, offset: int = 0) -> tuple[tuple[int, int, str], ...]:
    """The parts of a compound the lexicon knows, as (start, end, French words), left to right:
    the longest known head, its modifier read the same way (« Abfall|sortieranlage »); without a
    known head, the longest known modifier whose rest reads too (« Stadt|sanierungs|programm », not
    « Stadts|anierungs… »), else alone. Parts are at least COMPOUND_PART letters; a modifier may
    end in a linking element (``_LINKS``), which its span holds."""
    if whole := _one_word(lowered):
        return ((offset, offset + len(lowered), whole),)
    for i in range(COMPOUND_PART, len(lowered) - COMPOUND_PART + 1):
        if head := _one_word(lowered[i:]):
            bare = _unlinked(lowered[:i])
            modifier = _parts(bare, offset)
            if modifier and modifier[-1][1] == offset + len(bare):  # its span holds the linking element
                modifier = (*modifier[:-1], (modifier[-1][0], offset + i, modifier[-1][2]))
            return (*modifier, (offset + i, offset + len(lowered), head))
    modifiers = [
        (end, modifier)
        for end in range(len(lowered) - COMPOUND_PART, COMPOUND_PART - 1, -1)
        if (modifier := _one_word(_unlinked(lowered[:end])))
    ]
    for end, modifier in modifiers:
        if rest := _parts(lowered[end:], offset + end):
            return ((offset, offset + end, modifier), *rest)
    return ((offset, offset + modifiers[0][0], modifiers[0][1]),) if modifiers else ()


def _unlinked(modifier: str) -> str:
    """A compound's modifier without the linking element it ends in, if the lexicon knows it so."""
    for link in _LINKS:
        bare = modifier[: -len(link)]
        if modifier.endswith(link) and len(bare) >= COMPOUND_PART and _one_word(bare):
            return bare
    return modifier


def _one_word(part: str) -> str:
    """The French words of the lexicon's one-word name this part of a compound is (« auftrag »), or ""."""
    by_first = _translations_by_first_key()
    return next(
        (t.french for key in _stem_keys(part) for t in by_first.get(key, ()) if len(t.keys) == 1),
        "",
    )


def _surface(query: str, first: tuple[int, str, int], last: tuple[int, str, int]) -> str:
    """The query as written from one word to another (« long-term », « hard-to-recruit jobs »)."""
    return query[first[2] : last[2] + len(last[1])]


@cache
def _acronyms() -> tuple[re.Pattern[str], dict[str, Entry]]:
    by_term = {e.term: e for e in entries() if e.is_acronym and e.full}
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(sorted(map(re.escape, by_term), key=len, reverse=True)) + r")(?![\w-])"
    )
    return pattern, by_term


def explain_acronyms(text: str | Markup) -> Markup:
    """Text (or safe HTML) with each glossary acronym in ``<abbr title="full form">``.

    HTML tags are left alone: only the text between them is rewritten. Acronyms count only in
    capitals, so "ai" or "ess" inside French words never do.
    """
    html = str(text) if isinstance(text, Markup) else escape(str(text), quote=False)
    pattern, by_term = _acronyms()

    def abbr(match: re.Match[str]) -> str:
        entry = by_term[match.group(1)]
        return f'<abbr title="{escape(entry.full)}">{match.group(1)}</abbr>'

    pieces = re.split(r"(<[^>]*>)", html)
    inside_abbr = False
    for i, piece in enumerate(pieces):
        if piece.startswith("<"):
            inside_abbr = piece.startswith("<abbr") or (inside_abbr and not piece.startswith("</abbr"))
        elif not inside_abbr:
            pieces[i] = pattern.sub(abbr, piece)
    return Markup("".join(pieces))
