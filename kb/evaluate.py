"""Search-quality evaluation: recall@k, MRR and nDCG@10 over a TSV of queries.

File format (``shared/eval/dev_queries.tsv``): ``lang<TAB>query<TAB>markers``, ``#`` comments. A
sheet is relevant to a query when its Markdown text contains any of the ``|``-separated markers
(case-insensitive).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kb.markdown_io import dump_sheet
from kb.sheet import Sheet


@dataclass(frozen=True)
class EvalQuery:
    lang: str
    query: str
    markers: tuple[str, ...]


@dataclass
class QueryResult:
    query: EvalQuery
    ranked: list[str]
    relevant: set[str]


@dataclass
class Scores:
    count: int = 0
    recall: float = 0.0
    mrr: float = 0.0
    ndcg: float = 0.0
    by_language: dict[str, Scores] = field(default_factory=dict)

    def as_dict(self, k: int) -> dict[str, float | int]:
        return {
            "queries": self.count,
            f"recall@{k}": round(self.recall, 3),
            "mrr": round(self.mrr, 3),
            "ndcg@10": round(self.ndcg, 3),
        }


class EvalFileError(ValueError):
    pass


def read_queries(path: str | os.PathLike[str]) -> list[EvalQuery]:
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not cells[1].strip() or not cells[2].strip():
            raise EvalFileError(f"{path}:{number}: expected 'lang<TAB>query<TAB>markers'")
        markers = tuple(m.strip() for m in cells[2].split("|") if m.strip())
        out.append(EvalQuery(cells[0].strip(), cells[1].strip(), markers))
    return out


def relevant_ids(sheets: Sequence[Sheet], query: EvalQuery, texts: dict[str, str] | None = None) -> set[str]:
    texts = texts or {s.id: dump_sheet(s).casefold() for s in sheets}
    return {sid for sid, text in texts.items() if any(m.casefold() in text for m in query.markers)}


def run(queries: Sequence[EvalQuery], sheets: Sequence[Sheet], rank: Callable[[str], list[str]]) -> list[QueryResult]:
    texts = {s.id: dump_sheet(s).casefold() for s in sheets}
    return [QueryResult(q, rank(q.query), relevant_ids(sheets, q, texts)) for q in queries]


def _metrics(result: QueryResult, k: int) -> tuple[float, float, float]:
    rel = result.relevant
    if not rel:
        return 0.0, 0.0, 0.0
    recall = len(rel.intersection(result.ranked[:k])) / min(len(rel), k)
    rr = next((1.0 / (i + 1) for i, sid in enumerate(result.ranked) if sid in rel), 0.0)
    dcg = sum(1.0 / math.log2(i + 2) for i, sid in enumerate(result.ranked[:10]) if sid in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), 10)))
    return recall, rr, dcg / ideal


def score(results: Sequence[QueryResult], k: int = 3) -> Scores:
    """Mean metrics overall and per language (recall@k counts at most k relevant sheets)."""

    def mean(items: Sequence[QueryResult]) -> Scores:
        values = [_metrics(r, k) for r in items]
        n = len(values) or 1
        return Scores(len(values), *(sum(v[i] for v in values) / n for i in range(3)))

    total = mean(results)
    for lang in sorted({r.query.lang for r in results}):
        total.by_language[lang] = mean([r for r in results if r.query.lang == lang])
    return total
