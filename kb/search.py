"""Hybrid search: dense (FAISS over part vectors) and keyword (FTS5 BM25, French stems), fused.

Fusion is a weighted sum of per-query normalised scores, not reciprocal rank fusion: on this
corpus e5's cosine scores sit in a narrow band, and stemmed BM25 is strong for French queries but
noise for English ones (see ``shared/notes/retrieval-calibration.md`` and ``kb eval``). So the
keyword weight depends on the query's language.
"""

from __future__ import annotations

import json
import math
import os
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

from kb import calibration
from kb.corpus_facts import CorpusFacts
from kb.encoder import Encoder
from kb.glossary import QueryVocabulary, label_phrases, read_query, tag_label
from kb.language import content_terms, detect_language
from kb.passages import part_text, section_of
from kb.search_options import FILTER_FACETS, Mode
from kb.sheet import PART_LABELS, Sheet
from kb.snippets import Snippet, analysed_sentences, best_marked, make_snippet, opening, sheet_text
from kb.spelling import Speller, WordKeeper
from kb.store import Store
from kb.text import analysed, phrase_terms, terms
from kb.vector_index import VectorIndex
from kb.vocabulary import FACETS, vocabulary

MAX_QUERY_CHARS = 500  # e5 reads 512 tokens at most; longer queries are cut, never refused
DENSE_CANDIDATES = 200  # parts fetched from FAISS before grouping by sheet (dozens of sheets)
KEYWORD_CANDIDATES = 200  # best BM25 parts
# Query terms in more than half of the parts get no BM25 weight (FTS5 floors their IDF), so they
# are left out; when a query has rarer terms, those in more than COMMON_TERM of the parts are too.
COMMON_TERM = 0.2
# FTS5 scores every row holding a term (about 2 µs each): the rarest terms are scored while their
# parts add up to at most this budget (about 12 ms), the commoner ones, which tell least (low IDF),
# are left out; when every term is that common, the dense side decides alone. Only corpora of
# thousands of sheets reach it (see docs/PERFORMANCE.md).
BM25_POSTINGS = 6_000
FILTER_CACHE_SIZE = 64
NOTHING: frozenset[str] = frozenset()
NAN = float("nan")


@dataclass(frozen=True)
class Weights:
    """Keyword weight in the fused score, by query language.

    Tuned with ``kb eval`` on the dev queries and checked on ``tests/data/heldout_queries.tsv``:
    French plateaus from 0.5 to 0.8 (0.7 best on the held-out set); English needs a little
    keyword evidence for cognates ("cooperation" ~ "coopèrent") but no more.
    """

    keyword_fr: float = 0.7
    keyword_en: float = 0.2


def similar_to_json(pairs: list[tuple[Sheet, float]]) -> list[dict[str, Any]]:
    """Similar sheets as the CLI, the API and a submission's record give them."""
    return [{"id": sheet.id, "title": sheet.title, "score": round(score, 4)} for sheet, score in pairs]


Match = Literal["strong", "weak"]


@dataclass(frozen=True)
class Reason:
    """Why a card matched: ``kind`` is words (in common), glossary (a term of the field the query
    names, or the French word of an everyday word of a query in another language, found in the
    sheet), tag (the sheet carries a tag the query names) or meaning (close by meaning alone);
    ``text`` says it in French."""

    kind: Literal["words", "glossary", "tag", "meaning"]
    text: str


@dataclass
class Hit:
    sheet: Sheet
    score: float
    section: str | None
    snippet: Snippet
    dense: float | None = None
    keyword: float | None = None
    match: Match | None = None
    probability: float | None = None
    reasons: tuple[Reason, ...] = ()
    features: np.ndarray | None = None

    def to_json(self) -> dict[str, Any]:
        s = self.sheet
        return {
            "id": s.id,
            "title": s.title,
            "score": round(self.score, 4),
            "match": self.match,
            "probability": None if self.probability is None else round(self.probability, 3),
            "reasons": [{"kind": r.kind, "text": r.text} for r in self.reasons],
            "section": self.section,
            "section_label": PART_LABELS.get(self.section or "", None),
            "snippet": self.snippet.text,
            "snippet_html": self.snippet.html,
            "matched_terms": self.snippet.matched,
            "organisations": s.organisations,
            "region": s.region,
            "territory": s.territory,
            "event": s.event,
            "workshop": s.workshop,
            "year": s.year,
            "themes": s.themes,
            "publics": s.publics,
            "market_types": s.market_types,
            "actor_types": s.actor_types,
        }


@dataclass(frozen=True)
class FilterSuggestion:
    """A filter the query names: « Filtrer : <label> — <count> fiches »."""

    name: str  # URL/CLI filter name (theme, public, market_type, actor_type)
    value: str
    label: str
    count: int


@dataclass
class Results:
    query: str
    language: str
    total: int
    hits: list[Hit]
    filters: dict[str, list[str]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)  # every matching sheet id, ranked (for facets)
    mode: Mode = "hybrid"
    strong: int | None = None  # how many hits match strongly (None when browsing)
    suggestion: str | None = None  # the query spelt with the corpus's words, when that differs
    corrected_from: str | None = None  # the query typed, when the results are for ``suggestion``
    filter_suggestions: list[FilterSuggestion] = field(default_factory=list)
    glossary: list[tuple[str, str]] = field(default_factory=list)  # (words of the query, glossary term)
    closest_themes: list[FilterSuggestion] = field(default_factory=list)  # when nothing matches strongly

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "language": self.language,
            "mode": self.mode,
            "total": self.total,
            "strong": self.strong,
            "suggestion": self.suggestion,
            "corrected_from": self.corrected_from,
            "filter_suggestions": [asdict(f) for f in self.filter_suggestions],
            "closest_themes": [asdict(f) for f in self.closest_themes],
            "filters": self.filters,
            "hits": [h.to_json() for h in self.hits],
        }


def clean_query(query: str) -> str:
    """Drop control characters (NUL included) and surrounding space; cut very long queries."""
    query = str(query)
    if not query.isprintable():  # a printable text holds no control character: most queries, checked in C
        query = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in query)
    return " ".join(query.split())[:MAX_QUERY_CHARS]


def normalise_filters(filters: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Known filters only, each a list of non-empty strings (unknown names are ignored)."""
    out: dict[str, list[str]] = {}
    for name, values in (filters or {}).items():
        if name not in FILTER_FACETS or values is None:
            continue
        items = [values] if isinstance(values, (str, int)) else list(values)
        cleaned = [clean_query(str(v))[:200] for v in items if str(v).strip()]
        if cleaned:
            out[name] = cleaned
    return out


class _Labels(NamedTuple):
    """Every vocabulary entry and its French label's vector, kept together in one order."""

    tags: list[tuple[str, str]]  # (facet, key)
    vectors: np.ndarray


class Searcher:
    """Answers queries from a store, a vector index and an encoder that agree with each other."""

    def __init__(
        self,
        store: Store,
        index: VectorIndex | None,
        encoder: Encoder,
        words: WordKeeper | None = None,
        weights: Weights | None = None,
    ) -> None:
        """``index`` may be None until a dense search needs it (keyword searches do not); ``words``
        the spelling's corpus words, shared by a process's searchers (else read for this one)."""
        self.store = store
        self.index = index
        self.encoder = encoder
        self.weights = weights or Weights()
        self._count: tuple[int, int] | None = None
        # When a core is left beside the encoder's threads (as in each gunicorn worker), the keyword
        # retriever runs while the query is encoded: both release the GIL (SQLite, the encoder's C
        # code), so a hybrid search takes about the longer of the two, not their sum. Without a
        # spare core it would only slow the encoder down.
        self._keyword_thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-keyword") if _spare_core() else None
        )
        self.spelling = Speller(store, words or WordKeeper(store.path))
        self.facts = CorpusFacts(store)  # parts' owners, sheets' terms, terms' counts, sheets: per corpus version
        self._labels: _Labels | None = None
        self.calibration = calibration.load()  # None: no strong/weak marking (and while fitting it)
        # Facet clicks and paging repeat filters: their sheet and part ids are kept per corpus state.
        self._filters: OrderedDict[str, tuple[int, list[str], np.ndarray]] = OrderedDict()

    def _filtered(self, filters: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
        """(sheet ids, part ids) passing the filters of a search's URL, from the cache when the
        corpus is unchanged (the sheets a tag or an organisation the query names are the facts')."""
        key = json.dumps(filters, sort_keys=True)
        version = self.facts.version
        cached = self._filters.get(key)
        if cached is None or cached[0] != version:
            sheet_ids = self.store.filter_ids(filters)
            part_ids = self.store.part_ids(sheet_ids) if sheet_ids else np.zeros(0, np.int64)
            cached = self._filters[key] = (version, sheet_ids, part_ids)
        self._filters.move_to_end(key)
        while len(self._filters) > FILTER_CACHE_SIZE:
            self._filters.popitem(last=False)
        return cached[1], cached[2]

    @property
    def keyword_beside_encoder(self) -> bool:
        """Whether the keyword search runs in its thread while the query is encoded (a spare core)."""
        return self._keyword_thread is not None

    def _part_count(self) -> int:
        """How many parts there are (counting is a scan in SQLite: once per corpus version)."""
        version = self.facts.version
        if self._count is None or self._count[0] != version:
            self._count = (version, self.store.keyword_part_count())
        return self._count[1]

    def language(self, query: str) -> str:
        """The query's language; words the corpus contains count as French (an index lookup)."""
        stems_by_folded = {w.folded: w.stem for w in analysed(query)}
        counts = self.facts.term_counts(list(set(stems_by_folded.values())))
        return detect_language(query, {w for w, s in stems_by_folded.items() if counts[s]})

    def search(
        self,
        query: str,
        filters: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: Mode = "hybrid",
    ) -> Results:
        """Ranked sheets for a query, strong matches first; an empty query lists the filtered
        sheets by title. A query with no strong match is tried once more spelt with the corpus's
        words (``suggestion``), and that answer is kept if it has strong matches."""
        version = self.facts.refresh()
        query = clean_query(query)
        limit = max(0, min(int(limit), 1000))
        offset = max(0, min(int(offset), 1_000_000))
        filters = normalise_filters(filters)
        allowed, allowed_parts = (
            self._filtered({FILTER_FACETS[k]: v for k, v in filters.items()}) if filters else (None, None)
        )
        if not query:
            return self._browse(allowed, limit, offset, filters)
        language, named = self._read(query)
        results = self._answer(query, language, named, filters, allowed, allowed_parts, limit, offset, mode)
        suggestion = self.spelling.correct(query, named, version) if language == "fr" else None
        if suggestion and not results.strong and mode == "hybrid":
            corrected = self._answer(
                suggestion, *self._read(suggestion), filters, allowed, allowed_parts, limit, offset, mode
            )
            if corrected.strong:
                corrected.corrected_from = query
                results = corrected
        results.suggestion = suggestion
        return results

    def _read(self, query: str) -> tuple[str, QueryVocabulary]:
        """A query's language and what it names, read in that language (``_read_in``); the
        lexicon's everyday words are looked for in a query not in French only, the one they serve."""
        language = self.language(query)
        return language, _read_in(read_query(query, lexicon=language != "fr"), language)

    def _answer(
        self,
        query: str,
        language: str,
        named: QueryVocabulary,
        filters: dict[str, list[str]],
        allowed: list[str] | None,
        allowed_parts: np.ndarray | None,
        limit: int,
        offset: int,
        mode: Mode,
    ) -> Results:
        query_terms = named.expanded_terms(query, translate=language != "fr")
        dense_text = named.spelled_out(query, translate=language != "fr")
        candidates = self._score(dense_text, query_terms, allowed, allowed_parts, language, mode)
        ids = sorted(candidates)
        tagged = {key: self.facts.tagged(facet, key) for key, facet in _tag_facets(named.tags).items()}
        organisations = self._organisations(query, named)
        tagged |= {ORGANISATION + org: self.facts.tagged("organisations", org) for org in organisations}
        own_terms = terms(query)
        said = [*named.tags.values(), *organisations.values()]
        vector = self._dense_vector(dense_text) if mode == "hybrid" else None
        rows = self._features(
            ids, candidates, query_terms, tagged, language == "fr", named, own_terms, query, said, vector
        )
        model = self.calibration if mode == "hybrid" else None
        if model is not None and len(ids):
            proper = _names_proper(named, organisations)
            domain = model.domain(vector, self.encoder.model_id, proper)
            logits = model.logit(rows, domain)
            probabilities = 1.0 / (1.0 + np.exp(-logits))
            strong = model.strong(logits, domain, rows, calibration.says_words(query))
            marks = zip(ids, probabilities.tolist(), logits.tolist(), strong.tolist(), strict=True)
            for sid, p, z, s in marks:
                candidates[sid].update(probability=p, match="strong" if s else "weak", score=z)
            order = calibration.ranking(logits, strong, rows).tolist()
        else:  # no marks: by score (ids are sorted: ties by id)
            order = np.lexsort((np.array([-candidates[sid]["score"] for sid in ids]),)).tolist()
        ranked = [(ids[i], candidates[ids[i]]) for i in order]
        page = ranked[offset : offset + limit]
        page_rows = rows[order[offset : offset + limit]]  # each hit's evidence, in the page's order
        sheets = self.facts.sheets([sid for sid, _ in page])
        own = set(own_terms)
        stems = own | set(query_terms)  # with the glossary's expansion
        phrases = _named_phrases(named, translated=language != "fr")
        hits = []
        for (sheet_id, info), row in zip(page, page_rows, strict=True):
            sheet = sheets[sheet_id]
            section, snippet, reasons = explain(
                sheet, info, own, stems, phrases, {k for k, v in tagged.items() if sheet_id in v}
            )
            hits.append(
                Hit(
                    sheet,
                    info["score"],
                    section,
                    snippet,
                    info.get("dense"),
                    info.get("keyword"),
                    info.get("match"),
                    info.get("probability"),
                    reasons,
                    row,
                )
            )
        strong = sum(info.get("match") == "strong" for _, info in ranked) if model is not None else None
        return Results(
            query,
            language,
            len(ranked),
            hits,
            filters,
            [sid for sid, _ in ranked],
            mode,
            strong=strong,
            filter_suggestions=[
                FilterSuggestion(name, key, label, len(tagged[key]))
                for key, (name, label) in _tag_filters(named.tags).items()
                if tagged.get(key) and key not in filters.get(name, [])
            ],
            glossary=[(words, entry.term) for words, entry in named.entries],
            closest_themes=self.closest_themes(dense_text) if model is not None and not strong else [],
        )

    def names_proper(self, query: str) -> bool:
        """Whether a query names what the model does not know (see ``calibration.field_logit``)."""
        query = clean_query(query)
        named = self._read(query)[1]
        return _names_proper(named, self._organisations(query, named))

    def _organisations(self, query: str, vocabulary: QueryVocabulary) -> dict[str, str]:
        """The organisations a query names that published sheets list -> the words naming them: by
        a name the sheets give, or by a glossary entry whose term is one (« Voies navigables de
        France » names VNF, which the sheets only call VNF)."""
        names = self.facts.organisations()
        named = names.named(query)
        for said, entry in vocabulary.entries:
            for organisation in names.named(entry.term):
                named.setdefault(organisation, said)
        return {org: said for org, said in named.items() if self.facts.tagged("organisations", org)}

    def query_vector(self, query: str) -> np.ndarray | None:
        """The vector the dense side reads for a query, or None without an index."""
        self.facts.refresh()
        query = clean_query(query)
        language, named = self._read(query)
        return self._dense_vector(named.spelled_out(query, translate=language != "fr"))

    def _dense_vector(self, dense_text: str) -> np.ndarray | None:
        """From the encoder's cache once the dense side has searched."""
        if self.index is None or not len(self.index):
            return None
        return self.encoder.encode_query(dense_text)

    def closest_themes(self, query: str, limit: int = 3) -> list[FilterSuggestion]:
        """The themes with published sheets nearest by meaning to a query (its vector comes from the
        encoder's cache after a search), for a page with no strong match; the labels' vectors are
        ``_label_vectors``'. Searches run in several threads: nothing of one search is kept here."""
        qvec = self.encoder.encode_query(query)
        labels = vocabulary().terms["themes"]
        tags, vectors = self._label_vectors()
        themes = [i for i, (facet, _) in enumerate(tags) if facet == "themes"]
        keys = [tags[i][1] for i in themes]
        counts = {k: len(self.facts.tagged("themes", k)) for k in keys}
        order = [keys[i] for i in np.argsort(-(vectors[themes] @ qvec)) if counts[keys[i]]]
        return [FilterSuggestion("theme", k, labels[k], counts[k]) for k in order[:limit]]

    def _label_vectors(self) -> _Labels:
        """Every vocabulary entry (facet, key) and its French label's vector: as the calibration
        file stores them for this model, else encoded once per searcher, i.e. per thread (43 labels: 0.4 s)."""
        if self._labels is None:
            tags = [(facet, key) for facet in FACETS for key in vocabulary().terms[facet]]
            labels = [vocabulary().terms[facet][key] for facet, key in tags]
            stored = self.calibration.labels(self.encoder.model_id) if self.calibration is not None else {}
            missing = [label for label in labels if label not in stored]
            stored |= dict(zip(missing, self.encoder.encode_passages(missing), strict=True))
            self._labels = _Labels(tags, np.vstack([stored[label] for label in labels]))
        return self._labels

    def label_vectors(self) -> tuple[list[str], np.ndarray]:
        """The vocabulary's labels and their vectors (what ``kb calibrate`` stores beside the model)."""
        tags, vectors = self._label_vectors()
        return [vocabulary().terms[facet][key] for facet, key in tags], vectors

    def _tag_meaning(self, ids: list[str], vector: np.ndarray | None) -> list[float]:
        """How close by meaning the query comes to what each sheet is tagged with: among the sheet's
        tags, the best label's cosine with the query, as a z-score against every label of the
        vocabulary, counted beyond one spread above their mean (evidence when the query comes
        close to a label, no penalty for tags far from it: CV R@1 and precision a little better
        than the bare z-score, unanswered silence 0.538 -> 0.569). A query names a theme or a
        public in words no glossary holds (« reaching new groups of beneficiaries »:
        « Diversification des publics touchés par la clause »); 0 without a query vector."""
        if vector is None or not len(ids):
            return [0.0] * len(ids)
        labels = self._label_vectors()
        cosines = labels.vectors @ vector
        mean, spread = calibration.mean_std(cosines)
        scores = np.maximum((cosines - mean) / (float(spread) or 1.0) - 1.0, 0.0)
        by_key = {key: z for (_, key), z in zip(labels.tags, scores.tolist(), strict=True)}
        carried = self.facts.sheet_tags(ids)
        return [max((by_key[t] for t in tags if t in by_key), default=0.0) for tags in map(carried.__getitem__, ids)]

    def _features(
        self,
        ids: list[str],
        candidates: dict[str, dict[str, Any]],
        query_terms: list[str],
        tagged: Mapping[str, frozenset[str]],
        french: bool,
        named: QueryVocabulary,
        own_terms: list[str],
        query: str,
        said: list[str],
        vector: np.ndarray | None = None,
    ) -> np.ndarray:
        """The calibration's evidence (``kb.calibration.FEATURES``) for each candidate sheet;
        ``own_terms`` are the query's own words, ``query_terms`` with the glossary's expansion,
        ``tagged`` the sheets carrying each tag or organisation the query names in the words
        ``said``. The share of the query that names them is ``_tag_cover``'s."""
        if not ids:
            return np.zeros((0, len(calibration.FEATURES)))
        wanted = set(query_terms)
        held = self.facts.sheet_terms(ids) if wanted else {}
        own = set(own_terms)
        content = set(content_terms(query))
        in_parts = self.facts.term_counts(list(wanted | own)) if wanted or own else {}
        total = self._part_count()
        rarity = {t: math.log((total + 1) / (in_parts.get(t, 0) + 0.5)) for t in wanted}  # content among them
        rare = sum(rarity.values()) or 1.0
        dense, keyword, coverage, specific, tag_share = [], [], [], [], []  # one pass over the sheets
        for s in ids:
            found = candidates[s]
            common = wanted & held.get(s, NOTHING)
            dense.append(NAN if found["dense"] is None else found["dense"])
            keyword.append(found["keyword"] or 0.0)
            coverage.append(len(common) / (len(wanted) or 1))
            specific.append(sum(rarity[t] for t in common) / rare)
            tag_share.append(sum(s in sheets for sheets in tagged.values()) / (len(tagged) or 1))
        naming = {t for phrase in said for t in terms(phrase)}
        answerable = {t for t in content if any(t in terms_ for terms_ in held.values())}
        return calibration.features(
            dense,
            keyword,
            coverage,
            specific,
            tag_share,
            french,
            bool(tagged or named.entries),
            tag_cover=_tag_cover(content, naming, answerable, rarity),
            unknown=sum(not in_parts.get(t) for t in own) / (len(own) or 1),
            tag_meaning=self._tag_meaning(ids, vector),
        )

    def similar(self, sheet_id: str, limit: int = 5) -> list[tuple[Sheet, float]]:
        """Nearest published sheets to a sheet: the mean of its part vectors against every part."""
        vectors = self.store.part_vectors(sheet_id, self.encoder.model_id)
        if not len(vectors):
            return []
        return self.nearest_sheets(vectors.mean(axis=0), limit, exclude=sheet_id)

    def nearest_sheets(
        self, vector: np.ndarray, limit: int = 5, exclude: str | None = None
    ) -> list[tuple[Sheet, float]]:
        """Published sheets whose best part is nearest to a vector."""
        if self.index is None or not len(self.index):
            return []
        vector = vector / (np.linalg.norm(vector) or 1.0)
        scores, ids = self.index.search(vector, DENSE_CANDIDATES)
        parts = self.store.part_owners(ids.tolist())
        best: dict[str, float] = {}
        for score, pid in zip(scores.tolist(), ids.tolist(), strict=True):
            other = parts.get(pid, ("", ""))[0]
            if other and other != exclude and other not in best:
                best[other] = score
        top = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[: max(0, limit)]
        sheets = {s.id: s for s in self.store.sheets([sid for sid, _ in top])}
        return [(sheets[sid], score) for sid, score in top if sid in sheets]

    def _start_keyword_search(self, query_terms: list[str]) -> Callable[[], list[tuple[int, float]]]:
        """What reads the BM25 candidates: searched in the keyword thread if there is one, else
        here and now (no Future then: it would only hold a list already made)."""
        if self._keyword_thread is not None:
            return self._keyword_thread.submit(self._keyword_candidates, query_terms).result
        found = self._keyword_candidates(query_terms)
        return lambda: found

    def _keyword_candidates(self, query_terms: list[str]) -> list[tuple[int, float]]:
        return self.store.keyword_search(self._ranking_terms(query_terms), KEYWORD_CANDIDATES)

    def _ranking_terms(self, query_terms: list[str]) -> list[str]:
        """The query terms worth scoring: present, and not in most parts (see COMMON_TERM)."""
        counts = self.facts.term_counts(query_terms)
        total = self._part_count()
        present = [t for t in dict.fromkeys(query_terms) if 0 < counts.get(t, 0) <= total / 2]
        rare = [t for t in present if counts[t] <= COMMON_TERM * total] or present
        kept, postings = [], 0
        for term in sorted(rare, key=counts.__getitem__):
            postings += counts[term]
            if postings > BM25_POSTINGS:
                break
            kept.append(term)
        return kept

    def _browse(self, allowed: list[str] | None, limit: int, offset: int, filters: dict[str, list[str]]) -> Results:
        ids = allowed if allowed is not None else self.store.sheet_ids()
        sheets = sorted(self.store.sheets(ids), key=lambda s: s.title.casefold())
        hits = []
        for sheet in sheets[offset : offset + limit]:
            section = next((k for k, v in sheet.sections.items() if v.strip()), None)
            text = sheet.sections[section] if section else ""
            hits.append(Hit(sheet, 0.0, section, make_snippet(text, ())))
        return Results("", "fr", len(sheets), hits, filters, [s.id for s in sheets])

    def _score(
        self,
        query: str,
        query_terms: list[str],
        allowed: list[str] | None,
        allowed_parts: np.ndarray | None,
        language: str,
        mode: Mode,
    ) -> dict[str, dict[str, Any]]:
        """Candidates of both retrievers (within the filtered sheets), scored and fused."""
        allowed_set = set(allowed) if allowed is not None else None
        dense: dict[int, float] = {}  # part id -> cosine, in FAISS's order
        keyword = self._start_keyword_search(query_terms) if mode in ("hybrid", "keyword") and query_terms else None
        try:
            if mode in ("hybrid", "dense") and self.index is not None and len(self.index):
                qvec = self.encoder.encode_query(query)
                scores, ids = self.index.search(qvec, DENSE_CANDIDATES, allowed_parts)
                dense = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        finally:  # the store's connection is free again only once the keyword search is over
            found = keyword() if keyword is not None else []
        # A keyword search keeps only the parts its words score.
        bm25 = dict(found) if mode != "keyword" else {pid: score for pid, score in found if score > 0}
        candidates = [*dense, *(pid for pid in bm25 if pid not in dense)]  # the order ties are settled in
        owners = self.facts.owners(candidates)
        weight = {"dense": 0.0, "keyword": 1.0}.get(
            mode, self.weights.keyword_fr if language == "fr" else self.weights.keyword_en
        )
        return _fuse(
            [  # published parts only; the bare title is ranked by its words only (kb.passages)
                (owner[0], owner[1], NAN if owner[1] == "title" else dense.get(pid, NAN), bm25.get(pid, 0.0))
                for pid in candidates
                if (owner := owners[pid]) is not None and (allowed_set is None or owner[0] in allowed_set)
            ],
            weight,
        )


def _read_in(named: QueryVocabulary, language: str) -> QueryVocabulary:
    """What a query names, as read in its language: German glues the field's words together, so a
    German query's compounds are read through their parts."""
    return named.with_compounds() if language == "de" else named


def _names_proper(named: QueryVocabulary, organisations: Mapping[str, str]) -> bool:
    """One of the field's acronyms (as written or spelt out) or an organisation of the corpus."""
    return named.names_acronym or bool(organisations)


# What a content word of the query that no candidate sheet holds counts in the share of the query
# that names tags: half a word. In French it may be a real need the corpus lacks (« … en Corse »),
# in another language mostly an untranslated word (« how do other cities involve social
# landlords? »: only « social landlords » can be found, and it names a tag). Counted whole (the old
# rule), foreign mixed queries ranked tagged sheets behind untagged ones (validation tags 0.887);
# left out, the training set's pure naming queries lost (0.993 -> 0.971); half kept them
# (validation 0.919, see the commit of this change).
UNHELD_WORD = 0.5


def _tag_cover(content: set[str], said: set[str], answerable: set[str], rarity: Mapping[str, float]) -> float:
    """The share of the query's content words (« how do … » in a question is no subject a tag
    leaves out) that name tags, each weighted by its rarity in the corpus (« clause sociale » in
    « clause sociale dans les marchés de travaux » asks little), a word no candidate sheet holds
    counting ``UNHELD_WORD`` of its weight."""

    def weight(term: str) -> float:
        return rarity[term] * (1.0 if term in said or term in answerable else UNHELD_WORD)

    return sum(weight(t) for t in content & said) / (sum(weight(t) for t in content) or 1.0)


def _spare_core() -> bool:
    """Whether this process has a core beyond the encoder's OpenMP threads."""
    cores = len(os.sched_getaffinity(0))
    threads = os.environ.get("OMP_NUM_THREADS", "")
    return (int(threads) if threads.isdigit() else cores) < cores


@dataclass(slots=True)
class _Best:
    """A sheet's best dense part and best keyword part, while ``_fuse`` reads its candidate parts."""

    dense: float  # -inf until a part has a dense score
    dense_part: str | None
    keyword: float
    keyword_part: str


def _fuse(parts: list[tuple[str, str, float, float]], weight: float) -> dict[str, dict[str, Any]]:
    """Sheet score = (1 - w) · min-max(best dense part) + w · (best BM25 part / max BM25), from the
    candidate parts as (sheet id, section, dense score or NaN, BM25 score or 0).

    A part found by one retriever only has no score from the other (NaN), not zero: a zero would
    stretch the dense min-max. The part that names the match is the sheet's best fused part (the
    first on a tie). Plain Python: a query has a few hundred parts, where numpy's per-call cost
    weighed more than the arithmetic.
    """
    best: dict[str, _Best] = {}
    for sheet, section, dense, keyword in parts:
        found = best.get(sheet)
        if found is None:
            found = best[sheet] = _Best(-math.inf, None, keyword, section)
        elif keyword > found.keyword:
            found.keyword, found.keyword_part = keyword, section
        if dense > found.dense:  # a NaN never wins: the kept dense score is never NaN
            found.dense, found.dense_part = dense, section
    if not best:
        return {}
    dense_best = [found.dense for found in best.values() if found.dense_part is not None]
    lo, hi = min(dense_best, default=0.0), max(dense_best, default=0.0)
    kw_max = max(found.keyword for found in best.values()) or 1.0
    span = hi - lo

    def fused(dense: float, keyword: float) -> float:
        """A NaN dense score counts 0; with one dense value (or all equal) it counts 1."""
        if dense != dense:
            meaning = 0.0
        elif hi <= lo:
            meaning = 1.0
        else:
            meaning = (dense - lo) / span
            meaning = meaning if meaning >= 0.0 else 0.0
        return (1 - weight) * meaning + weight * keyword / kw_max

    best_part: dict[str, tuple[float, str]] = {}
    for sheet, section, dense, keyword in parts:
        score = fused(dense, keyword)
        if (found := best_part.get(sheet)) is None or score > found[0]:
            best_part[sheet] = (score, section)
    out = {}
    for sheet in sorted(best):
        found = best[sheet]
        dense, dense_part, keyword = found.dense, found.dense_part, found.keyword
        dense = dense if dense_part is not None else None
        out[sheet] = {
            "score": fused(NAN if dense is None else dense, keyword),
            "dense": dense,
            "keyword": keyword,
            "section": section_of(best_part[sheet][1]),
            "dense_part": dense_part,
            "keyword_part": found.keyword_part if keyword > 0 else None,
        }
    return out


def _tag_facets(tags: Mapping[str, str]) -> dict[str, str]:
    """Vocabulary key -> its store facet (themes, publics…), for the keys the query names."""
    return {key: found[0] for key in tags if (found := tag_label(key))}


def _tag_filters(tags: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Vocabulary key -> (filter name, French label), for the filters a page can offer."""
    by_facet = {facet: name for name, facet in FILTER_FACETS.items()}
    return {key: (by_facet[found[0]], found[1]) for key in tags if (found := tag_label(key))}


MEANING_WORDS = 60  # a two-sentence window, whole
FACET_LABELS = {"themes": "Thème", "publics": "Public", "market_types": "Type de marché", "actor_types": "Acteur"}
ORGANISATION = "organisation:"  # before an organisation's name among a query's tag keys
MEANING = Reason("meaning", "Proche par le sens")


def _tag_reason(key: str) -> str | None:
    """What a hit's card says of a tag or an organisation the query names and the sheet carries."""
    if key.startswith(ORGANISATION):
        return "Structure : " + key.removeprefix(ORGANISATION)
    found = tag_label(key)
    return f"{FACET_LABELS[found[0]]} : {found[1]}" if found else None


def explain(
    sheet: Sheet,
    info: Mapping[str, Any],
    own: set[str],
    stems: set[str],
    phrases: list[NamedPhrase],
    tags: set[str],
) -> tuple[str | None, Snippet, tuple[Reason, ...]]:
    """(section, snippet, reasons) of a hit: the sentences of the section sharing the most words
    with the query (``stems``: its own and its glossary expansion's), else the passage closest by
    meaning. ``phrases`` are the query's ``_named_phrases``."""
    reasons = [Reason("tag", label) for key in sorted(tags) if (label := _tag_reason(key))]
    parts = sheet_text(sheet.id, sheet.sections).stems
    held = {k: len(part.intersection(stems)) for k, part in parts.items()}
    most = max(held.values(), default=0)
    if most:  # the section holding the most query stems, the fused best part's on a tie
        fused_best = info.get("section")
        section = fused_best if held.get(fused_best) == most else next(k for k, n in held.items() if n == most)
        marked = best_marked(analysed_sentences(sheet.sections[section]), stems)
        found = {s for _, s in marked.marks}
        glossed = [f"{p.said} → {p.phrase}" for p in phrases if p.stems <= found]
        if found & own:
            surface = dict.fromkeys(word for word, s in marked.marks if s in own)
            reasons.insert(0, Reason("words", "Mots en commun : " + ", ".join(surface)))
        if glossed:
            reasons.append(Reason("glossary", " ; ".join(dict.fromkeys(glossed))))
        if found & own or glossed:
            return section, marked.snippet, tuple(reasons)
    key = info.get("dense_part") or info.get("section")
    if key is None or key == "title" or section_of(key) not in parts:
        key = next(iter(parts), None)
    text = part_text(sheet, key) if key else sheet.title
    reasons.append(MEANING)
    # A window is already the sentence or two closest by meaning; a whole part is cut to its start.
    return (section_of(key) if key else None), opening(text, MEANING_WORDS), tuple(reasons)


@dataclass(frozen=True)
class NamedPhrase:
    """Words of the query (``said``) and a French phrase they stand for, with its index terms."""

    said: str
    phrase: str
    stems: frozenset[str]


def _named_phrases(named: QueryVocabulary, translated: bool = False) -> list[NamedPhrase]:
    """The glossary forms and tag labels a query names, and (``translated``: a query not in French)
    the French words of its everyday words, analysed once for its page of hits."""
    out = []
    for said, entry in named.entries:
        out.extend((said, phrase) for phrase in (entry.term, entry.full, *entry.synonyms) if phrase and phrase != said)
    phrases = label_phrases()
    for key, said in named.tags.items():
        out.extend((said, phrase) for phrase in phrases.get(key, ()) if phrase != said)
    for said, french, *_ in named.translations if translated else ():
        out.extend((said, p.strip()) for p in french.split(","))
    first = {}  # one phrase per words said and stems (« chantier, chantiers »: the first)
    for said, phrase in out:
        if stems := frozenset(phrase_terms(phrase)):
            first.setdefault((said, stems), NamedPhrase(said, phrase, stems))
    return list(first.values())
