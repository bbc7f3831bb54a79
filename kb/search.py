"""Hybrid search: dense (FAISS over part vectors) and keyword (FTS5 BM25, French stems), fused.

Fusion is a weighted sum of per-query normalised scores, not reciprocal rank fusion: on this
corpus e5's cosine scores sit in a narrow band, and stemmed BM25 is strong for French queries but
noise for English ones (see ``shared/notes/retrieval-calibration.md`` and ``kb eval``). So the
keyword weight depends on the query's language.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.encoder import Encoder
from kb.search_options import FILTER_FACETS, Mode
from kb.sheet import PART_LABELS, Sheet
from kb.snippets import Snippet, make_snippet
from kb.store import Store
from kb.text import detect_language, fold, stem, terms, words
from kb.vector_index import VectorIndex

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


@dataclass
class Hit:
    sheet: Sheet
    score: float
    section: str | None
    snippet: Snippet
    dense: float | None = None
    keyword: float | None = None

    def to_json(self) -> dict[str, Any]:
        s = self.sheet
        return {
            "id": s.id,
            "title": s.title,
            "score": round(self.score, 4),
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


@dataclass
class Results:
    query: str
    language: str
    total: int
    hits: list[Hit]
    filters: dict[str, list[str]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)  # every matching sheet id, ranked (for facets)
    mode: Mode = "hybrid"

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "language": self.language,
            "mode": self.mode,
            "total": self.total,
            "filters": self.filters,
            "hits": [h.to_json() for h in self.hits],
        }


def clean_query(query: str) -> str:
    """Drop control characters (NUL included) and surrounding space; cut very long queries."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in str(query))
    return " ".join(kept.split())[:MAX_QUERY_CHARS]


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


class Searcher:
    """Answers queries from a store, a vector index and an encoder that agree with each other."""

    def __init__(
        self, store: Store, index: VectorIndex | None, encoder: Encoder, weights: Weights | None = None
    ) -> None:
        """``index`` may be None until a dense search needs it (keyword searches do not)."""
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
        # Facet clicks and paging repeat filters: their sheet and part ids are kept per corpus state.
        self._filters: OrderedDict[str, tuple[int, list[str], np.ndarray]] = OrderedDict()

    def _filtered(self, filters: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
        """(sheet ids, part ids) passing the filters, from the cache when the corpus is unchanged."""
        key = json.dumps(filters, sort_keys=True)
        version = self.store.vectors_version
        cached = self._filters.get(key)
        if cached is None or cached[0] != version:
            sheet_ids = self.store.filter_ids(filters)
            cached = (version, sheet_ids, self.store.part_ids(sheet_ids) if sheet_ids else np.zeros(0, np.int64))
            self._filters[key] = cached
        self._filters.move_to_end(key)
        while len(self._filters) > FILTER_CACHE_SIZE:
            self._filters.popitem(last=False)
        return cached[1], cached[2]

    def _part_count(self) -> int:
        """How many parts there are (counting is a scan in SQLite: once per corpus version)."""
        version = self.store.vectors_version
        if self._count is None or self._count[0] != version:
            self._count = (version, self.store.part_count())
        return self._count[1]

    def language(self, query: str) -> str:
        """The query's language; words the corpus contains count as French (an index lookup)."""
        folded = {fold(w): stem(w) for w in words(query)}
        known = self.store.known_terms(list(set(folded.values())))
        return detect_language(query, {w for w, s in folded.items() if s in known})

    def search(
        self,
        query: str,
        filters: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        mode: Mode = "hybrid",
    ) -> Results:
        """Ranked sheets for a query; an empty query lists the filtered sheets by title."""
        query = clean_query(query)
        limit = max(0, min(int(limit), 1000))
        offset = max(0, min(int(offset), 1_000_000))
        filters = normalise_filters(filters)
        allowed, allowed_parts = (
            self._filtered({FILTER_FACETS[k]: v for k, v in filters.items()}) if filters else (None, None)
        )
        if not query:
            return self._browse(allowed, limit, offset, filters)
        language = self.language(query)
        query_terms = terms(query)
        candidates = self._score(query, query_terms, allowed, allowed_parts, language, mode)
        ranked = sorted(candidates.items(), key=lambda item: (-item[1]["score"], item[0]))
        page = ranked[offset : offset + limit]
        sheets = {s.id: s for s in self.store.sheets([sid for sid, _ in page])}
        stems = set(query_terms)
        hits = []
        for sheet_id, info in page:
            sheet = sheets[sheet_id]
            text = sheet.title if info["section"] == "title" else sheet.sections.get(info["section"], "")
            hits.append(
                Hit(
                    sheet,
                    info["score"],
                    info["section"],
                    make_snippet(text, stems),
                    info.get("dense"),
                    info.get("keyword"),
                )
            )
        return Results(query, language, len(ranked), hits, filters, [sid for sid, _ in ranked], mode)

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

    def _start_keyword_search(self, query_terms: list[str]) -> Future[list[tuple[int, float]]]:
        """The BM25 candidates: searched in the keyword thread if there is one, else here and now."""
        if self._keyword_thread is not None:
            return self._keyword_thread.submit(self._keyword_candidates, query_terms)
        done: Future[list[tuple[int, float]]] = Future()
        done.set_result(self._keyword_candidates(query_terms))
        return done

    def _keyword_candidates(self, query_terms: list[str]) -> list[tuple[int, float]]:
        return self.store.keyword_search(self._ranking_terms(query_terms), KEYWORD_CANDIDATES)

    def _ranking_terms(self, query_terms: list[str]) -> list[str]:
        """The query terms worth scoring: present, and not in most parts (see COMMON_TERM)."""
        counts = self.store.term_counts(query_terms)
        total = self._part_count()
        present = [t for t in dict.fromkeys(query_terms) if 0 < counts.get(t, 0) <= total / 2]
        rare = [t for t in present if counts[t] <= COMMON_TERM * total] or present
        kept, postings = [], 0
        for term in sorted(rare, key=lambda t: counts[t]):
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
        part_scores: dict[int, list[float]] = {}  # part id -> [dense score or NaN, BM25 score or 0]
        keyword = self._start_keyword_search(query_terms) if mode in ("hybrid", "keyword") and query_terms else None
        try:
            if mode in ("hybrid", "dense") and self.index is not None and len(self.index):
                qvec = self.encoder.encode_queries([query])[0]
                scores, ids = self.index.search(qvec, DENSE_CANDIDATES, allowed_parts)
                part_scores = {pid: [score, 0.0] for score, pid in zip(scores.tolist(), ids.tolist(), strict=True)}
        finally:  # the store's connection is free again only once the keyword search is over
            found = keyword.result() if keyword is not None else []
        for pid, bm25 in found:
            part_scores.setdefault(pid, [float("nan"), 0.0])[1] = bm25
        parts = self.store.part_owners(list(part_scores))  # published parts only
        part_scores = {
            pid: s
            for pid, s in part_scores.items()
            if pid in parts and (allowed_set is None or parts[pid][0] in allowed_set)
        }
        if mode == "keyword":
            part_scores = {pid: s for pid, s in part_scores.items() if s[1] > 0}
        weight = {"dense": 0.0, "keyword": 1.0}.get(
            mode, self.weights.keyword_fr if language == "fr" else self.weights.keyword_en
        )
        return _fuse(part_scores, parts, weight)


def _spare_core() -> bool:
    """Whether this process has a core beyond the encoder's OpenMP threads."""
    cores = len(os.sched_getaffinity(0))
    threads = os.environ.get("OMP_NUM_THREADS", "")
    return (int(threads) if threads.isdigit() else cores) < cores


def _fuse(
    part_scores: dict[int, list[float]], parts: dict[int, tuple[str, str]], weight: float
) -> dict[str, dict[str, Any]]:
    """Sheet score = (1 - w) · min-max(best dense part) + w · (best BM25 part / max BM25).

    A part found by one retriever only has no score from the other (NaN), not zero: a zero would
    stretch the dense min-max. The part that names the match is the sheet's best fused part.
    """
    if not part_scores:
        return {}
    pids = list(part_scores)
    dense = np.array([part_scores[p][0] for p in pids], dtype=np.float64)
    dense = np.where(np.isnan(dense), -np.inf, dense)
    keyword = np.array([part_scores[p][1] for p in pids], dtype=np.float64)
    sheet_ids, owner = np.unique([parts[p][0] for p in pids], return_inverse=True)
    sheet_dense = np.full(len(sheet_ids), -np.inf)
    np.maximum.at(sheet_dense, owner, dense)
    sheet_keyword = np.zeros(len(sheet_ids))
    np.maximum.at(sheet_keyword, owner, keyword)
    has_dense = np.isfinite(sheet_dense)
    lo, hi = (sheet_dense[has_dense].min(), sheet_dense[has_dense].max()) if has_dense.any() else (0.0, 0.0)

    def dense_norm(values: np.ndarray) -> np.ndarray:
        valid = np.isfinite(values)
        scaled = np.ones_like(values) if hi <= lo else (np.where(valid, values, lo) - lo) / (hi - lo)
        return np.where(valid, np.clip(scaled, 0.0, None), 0.0)

    kw_max = float(sheet_keyword.max()) or 1.0
    sheet_score = (1 - weight) * dense_norm(sheet_dense) + weight * sheet_keyword / kw_max
    part_score = (1 - weight) * dense_norm(dense) + weight * keyword / kw_max
    best_part: dict[int, int] = {}
    for row in np.argsort(-part_score, kind="stable").tolist():
        best_part.setdefault(int(owner[row]), row)
    return {
        str(sheet_id): {
            "score": float(sheet_score[i]),
            "dense": float(sheet_dense[i]) if has_dense[i] else None,
            "keyword": float(sheet_keyword[i]),
            "section": parts[pids[best_part[i]]][1],
        }
        for i, sheet_id in enumerate(sheet_ids.tolist())
    }
