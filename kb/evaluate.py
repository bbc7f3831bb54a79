"""Search-quality evaluation over TSV files of queries.

Three kinds of file, ``#`` comments allowed:

- relevance (``shared/eval/dev_queries.tsv``): ``lang<TAB>query<TAB>markers``; a sheet is relevant
  when its Markdown text contains any of the ``|``-separated markers (case-insensitive). Scored by
  R@1, recall@k, MRR, nDCG@10 and the share of queries whose first relevant sheet is marked strong;
- off-topic: ``lang<TAB>query``, queries no sheet answers: the share with no strong hit;
- tag: ``lang<TAB>query<TAB>tag`` (a vocabulary key of any facet): the share whose first n hits
  all carry the tag, n = min(3, sheets carrying it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.markdown_io import dump_sheet
from kb.search_options import Mode
from kb.sheet import Sheet
from kb.vocabulary import FACETS, vocabulary

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase


@dataclass(frozen=True)
class EvalQuery:
    lang: str
    query: str
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ranking:
    """A query's ranked sheet ids and which of them the search marked strong."""

    ids: list[str]
    strong: frozenset[str] = frozenset()


Ranker = Callable[[str], "Ranking | Sequence[str]"]


@dataclass
class QueryResult:
    query: EvalQuery
    ranked: list[str]
    relevant: set[str]
    strong: frozenset[str] = frozenset()


@dataclass
class Scores:
    count: int = 0
    recall: float = 0.0
    mrr: float = 0.0
    ndcg: float = 0.0
    r1: float = 0.0
    strong_first: float = 0.0  # share of queries whose first relevant sheet is marked strong
    by_language: dict[str, Scores] = field(default_factory=dict)

    def as_dict(self, k: int) -> dict[str, float | int]:
        return {
            "queries": self.count,
            "r@1": round(self.r1, 3),
            f"recall@{k}": round(self.recall, 3),
            "mrr": round(self.mrr, 3),
            "ndcg@10": round(self.ndcg, 3),
            "strong_first": round(self.strong_first, 3),
        }


@dataclass
class Share:
    """A share of queries passing a check, overall and by language (off-topic and tag files)."""

    count: int = 0
    share: float = 0.0
    by_language: dict[str, Share] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, float | int]:
        return {"queries": self.count, "share": round(self.share, 3)}


class EvalFileError(ValueError):
    pass


def _rows(path: str | os.PathLike[str], columns: int, shape: str) -> list[tuple[int, list[str]]]:
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != columns or not all(c.strip() for c in cells):
            raise EvalFileError(f"{path}:{number}: expected '{shape}'")
        out.append((number, [c.strip() for c in cells]))
    return out


def read_queries(path: str | os.PathLike[str]) -> list[EvalQuery]:
    out = []
    for _, (lang, query, markers) in _rows(path, 3, "lang<TAB>query<TAB>markers"):
        out.append(EvalQuery(lang, query, tuple(m.strip() for m in markers.split("|") if m.strip())))
    return out


def read_offtopic(path: str | os.PathLike[str]) -> list[EvalQuery]:
    return [EvalQuery(lang, query) for _, (lang, query) in _rows(path, 2, "lang<TAB>query")]


def vocabulary_keys() -> set[str]:
    """Every key of the vocabulary, all facets together: the tags a tag query may name."""
    return {key for facet in FACETS for key in vocabulary().terms[facet]}


def read_tag_queries(path: str | os.PathLike[str], known: set[str] | None = None) -> list[tuple[EvalQuery, str]]:
    """(query, tag) pairs; with ``known``, a tag outside it is an error (a typo would score 0)."""
    out = []
    for number, (lang, query, tag) in _rows(path, 3, "lang<TAB>query<TAB>tag"):
        if known is not None and tag not in known:
            raise EvalFileError(f"{path}:{number}: unknown vocabulary key {tag!r}")
        out.append((EvalQuery(lang, query), tag))
    return out


def _as_ranking(ranked: Ranking | Sequence[str]) -> Ranking:
    return ranked if isinstance(ranked, Ranking) else Ranking(list(ranked))


def relevant_ids(sheets: Sequence[Sheet], query: EvalQuery, texts: dict[str, str] | None = None) -> set[str]:
    texts = texts or {s.id: dump_sheet(s).casefold() for s in sheets}
    return {sid for sid, text in texts.items() if any(m.casefold() in text for m in query.markers)}


def run(queries: Sequence[EvalQuery], sheets: Sequence[Sheet], rank: Ranker) -> list[QueryResult]:
    texts = {s.id: dump_sheet(s).casefold() for s in sheets}
    out = []
    for q in queries:
        ranking = _as_ranking(rank(q.query))
        out.append(QueryResult(q, ranking.ids, relevant_ids(sheets, q, texts), ranking.strong))
    return out


def _metrics(result: QueryResult, k: int) -> tuple[float, float, float, float, float]:
    rel = result.relevant
    if not rel:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    recall = len(rel.intersection(result.ranked[:k])) / min(len(rel), k)
    first = next((i for i, sid in enumerate(result.ranked) if sid in rel), None)
    rr = 1.0 / (first + 1) if first is not None else 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, sid in enumerate(result.ranked[:10]) if sid in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), 10)))
    strong = float(first is not None and result.ranked[first] in result.strong)
    return recall, rr, dcg / ideal, float(first == 0), strong


def score(results: Sequence[QueryResult], k: int = 3) -> Scores:
    """Mean metrics overall and per language (recall@k counts at most k relevant sheets)."""

    def mean(items: Sequence[QueryResult]) -> Scores:
        values = [_metrics(r, k) for r in items]
        n = len(values) or 1
        return Scores(len(values), *(sum(v[i] for v in values) / n for i in range(5)))

    total = mean(results)
    for lang in sorted({r.query.lang for r in results}):
        total.by_language[lang] = mean([r for r in results if r.query.lang == lang])
    return total


def _share(checks: Sequence[tuple[EvalQuery, bool]]) -> Share:
    def of(items: Sequence[tuple[EvalQuery, bool]]) -> Share:
        return Share(
            len(items), sum(ok for _, ok in items) / (len(items) or 1), failed=[q.query for q, ok in items if not ok]
        )

    total = of(checks)
    for lang in sorted({q.lang for q, _ in checks}):
        total.by_language[lang] = of([c for c in checks if c[0].lang == lang])
    return total


def offtopic(queries: Sequence[EvalQuery], rank: Ranker) -> Share:
    """Share of queries answered with no strong hit: off-topic ones, or questions of the field
    that no sheet answers (``--unanswered``)."""
    return _share([(q, not _as_ranking(rank(q.query)).strong) for q in queries])


def sheet_tags(sheet: Sheet) -> set[str]:
    """Every vocabulary key a sheet carries, all facets together."""
    return {key for facet in FACETS for key in getattr(sheet, facet)}


def tag_queries(pairs: Sequence[tuple[EvalQuery, str]], sheets: Sequence[Sheet], rank: Ranker) -> Share:
    """Share of tag queries whose first n hits all carry the tag, n = min(3, sheets carrying it)."""
    tags = {s.id: sheet_tags(s) for s in sheets}
    checks = []
    for q, tag in pairs:
        n = min(3, sum(tag in t for t in tags.values()))
        top = _as_ranking(rank(q.query)).ids[:n]
        checks.append((q, n > 0 and len(top) == n and all(tag in tags.get(sid, set()) for sid in top)))
    return _share(checks)


def ranker(kb: KnowledgeBase, mode: Mode, limit: int) -> Ranker:
    """Rank with the knowledge base's search in ``mode``: ids, and which hits it marks strong."""

    def rank(query: str) -> Ranking:
        hits = kb.search(query, limit=limit, mode=mode).hits
        return Ranking([h.sheet.id for h in hits], frozenset(h.sheet.id for h in hits if h.match == "strong"))

    return rank


@dataclass
class ModeRun:
    """One search mode's evaluation: each relevance query's ranking and the checks' shares."""

    results: list[QueryResult]
    checks: dict[str, Share]  # "offtopic_no_strong", "tags_first", "unanswered_no_strong": those given


@dataclass
class Evaluation:
    """What ``evaluate`` found, by mode (in the order asked)."""

    k: int
    modes: dict[str, ModeRun]

    def as_dict(self) -> dict[str, dict[str, dict[str, float | int]]]:
        """Mode → row ("all", a language, a check) → figures: the ``kb eval --json`` document; a
        mode has score rows only when relevance queries were given."""

        def by_language(total: Any, figures: Callable[[Any], dict[str, float | int]]) -> dict[str, Any]:
            return {"all": figures(total), **{lang: figures(part) for lang, part in total.by_language.items()}}

        out: dict[str, dict[str, dict[str, float | int]]] = {}
        for mode, found in self.modes.items():
            rows = out.setdefault(mode, {})
            if found.results:
                rows.update(by_language(score(found.results, self.k), lambda s: s.as_dict(self.k)))
            for name, share in found.checks.items():
                rows[name] = by_language(share, Share.as_dict)
        return out


def evaluate(
    kb: KnowledgeBase,
    items: Sequence[EvalQuery],
    noise: Sequence[EvalQuery],
    tagged: Sequence[tuple[EvalQuery, str]],
    modes: Sequence[Mode],
    k: int = 3,
    unanswered: Sequence[EvalQuery] = (),
) -> Evaluation:
    """Run relevance, off-topic, tag and unanswered queries (each may be empty) through every
    mode, each query ranking all the published sheets."""
    sheets = kb.store.sheets()
    runs: dict[str, ModeRun] = {}
    for mode in modes:
        rank = ranker(kb, mode, len(sheets))
        results = run(items, sheets, rank)
        checks = {}
        if noise:
            checks["offtopic_no_strong"] = offtopic(noise, rank)
        if tagged:
            checks["tags_first"] = tag_queries(tagged, sheets, rank)
        if unanswered:
            checks["unanswered_no_strong"] = offtopic(unanswered, rank)
        runs[mode] = ModeRun(results, checks)
    return Evaluation(k, runs)
