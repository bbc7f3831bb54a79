"""How sure a hit is: evidence about a (query, sheet) pair turned into a calibrated probability.

At query time this is numpy only: a logistic model whose coefficients ``kb calibrate`` fits
offline (scikit-learn, imported there alone) on labelled queries — the dev
set and the training sets' relevant sheets as positives, their other sheets and every sheet of
the off-topic queries as negatives — and writes to ``kb/data/calibration.json``. A hit is strong
when its probability reaches the threshold stored beside the coefficients.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.vocabulary import DATA_DIR

if TYPE_CHECKING:  # both only for fitting: search imports this module on every start
    from kb import evaluate
    from kb.knowledge_base import KnowledgeBase

CALIBRATION_FILE = DATA_DIR / "calibration.json"
# Evidence about one sheet for one query, in this order (see ``features``).
FEATURES = (
    "dense",  # best cosine of the sheet's passages (absolute: e5's band is narrow but not flat)
    "dense_z",  # the same against the query's other candidates (mean 0, unit spread)
    "dense_gap",  # distance to the query's best sheet
    "keyword",  # best BM25 part over the query's best (0 when no word matches)
    "keyword_abs",  # log(1 + best BM25): how much the words say, absolute
    "keyword_fr",  # keyword evidence when the query is French (for other languages it is noise)
    "coverage",  # share of the query's words (glossary expansion included) found in the sheet
    "tag",  # the sheet carries a tag the query names
    "named",  # the query names a tag or glossary entry at all
    "tag_whole",  # share of the named tags the sheet carries, times the share of the query they say
    "unknown",  # share of the query's own words the corpus never uses (off-topic words, or a foreign language)
    "unknown_fr",  # the same when the query is French: there it means the corpus does not speak of it
)


def features(
    dense: np.ndarray,
    keyword: np.ndarray,
    coverage: np.ndarray,
    tag_share: np.ndarray,
    french: bool,
    named: bool,
    tag_cover: float = 0.0,
    unknown: float = 0.0,
) -> np.ndarray:
    """One row of FEATURES per candidate sheet (``dense`` NaN where the sheet has no dense score;
    ``tag_share`` the share of the query's named tags each sheet carries; ``tag_cover`` the share
    of the query's words that name tags; ``unknown`` the share of its words absent from the corpus)."""
    finite = np.isfinite(dense)
    floor = float(dense[finite].min()) if finite.any() else 0.0
    d = np.where(finite, dense, floor)
    spread = float(d.std()) or 1.0
    kw_max = float(keyword.max()) or 1.0
    kw = keyword / kw_max
    return np.column_stack(
        [
            d,
            (d - d.mean()) / spread,
            d - d.max(),
            kw,
            np.log1p(keyword),
            kw * float(french),
            coverage,
            (tag_share > 0).astype(float),
            np.full(len(d), float(named)),
            tag_share * tag_cover,
            np.full(len(d), unknown),
            np.full(len(d), unknown * float(french)),
        ]
    )


@dataclass(frozen=True)
class Calibration:
    """A logistic model over standardised FEATURES, and the probability that makes a hit strong."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    fitted_on: dict[str, int]

    def logit(self, rows: np.ndarray) -> np.ndarray:
        z = (rows - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.intercept

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


@cache
def load(path: Path = CALIBRATION_FILE) -> Calibration | None:
    """The fitted model, or None before ``kb calibrate`` ran (or when it was fitted on other features)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    found = Calibration(**{**data, **{k: tuple(data[k]) for k in ("features", "mean", "scale", "coef")}})
    return found if found.features == FEATURES else None


@dataclass
class Example:
    """One labelled query's candidates: their feature rows and which are relevant (none: off-topic)."""

    query: str
    rows: np.ndarray
    relevant: np.ndarray
    offtopic: bool


def examples(
    kb: KnowledgeBase,
    relevance: Sequence[evaluate.EvalQuery],
    noise: Sequence[evaluate.EvalQuery],
    tagged: Sequence[tuple[evaluate.EvalQuery, str]],
) -> list[Example]:
    """Each labelled query's candidates among the published sheets, searched without a model:
    relevance queries' positives are the sheets their markers find, tag queries' the sheets
    carrying the tag; off-topic queries have none."""
    from kb import evaluate

    sheets = kb.store.sheets()
    searcher = kb.searcher_for_fitting()
    labelled = [
        *((q, evaluate.relevant_ids(sheets, q)) for q in relevance),
        *((q, set()) for q in noise),
        *((q, {s.id for s in sheets if tag in evaluate.sheet_tags(s)}) for q, tag in tagged),
    ]
    out = []
    for q, relevant in labelled:
        hits = searcher.search(q.query, limit=len(sheets)).hits
        rows = np.vstack([h.features for h in hits])
        out.append(Example(q.query, rows, np.array([h.sheet.id in relevant for h in hits]), not relevant))
    return out


@dataclass
class FitReport:
    calibration: Calibration
    cross_validated: dict[str, float]


def _metrics(examples: list[Example], scores: list[np.ndarray], threshold_logit: float) -> dict[str, float]:
    """R@1 and MRR of ranking by the model, strong-marking of the first relevant sheet, no-strong share."""
    r1, rr, strong_first, quiet = [], [], [], []
    for ex, z in zip(examples, scores, strict=True):
        strong = z >= threshold_logit
        order = np.lexsort((-z, ~strong))
        if ex.offtopic:
            quiet.append(float(not strong.any()))
            continue
        ranks = np.flatnonzero(ex.relevant[order])
        if not len(ranks):
            continue
        r1.append(float(ranks[0] == 0))
        rr.append(1.0 / (ranks[0] + 1))
        strong_first.append(float(strong[order][ranks[0]]))
    mean = lambda v: float(np.mean(v)) if v else 0.0  # noqa: E731
    return {"r@1": mean(r1), "mrr": mean(rr), "strong_first": mean(strong_first), "offtopic_no_strong": mean(quiet)}


def _threshold(examples: list[Example], scores: list[np.ndarray]) -> float:
    """The probability cut that best serves the weaker of strong-marking and off-topic silence
    (then their sum); of the cuts that tie, the middle one, furthest from both edges."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)

    def objective(p: float) -> tuple[float, float]:
        m = _metrics(examples, scores, float(np.log(p / (1 - p))))
        return round(min(m["strong_first"], m["offtopic_no_strong"]), 6), round(
            m["strong_first"] + m["offtopic_no_strong"], 6
        )

    values = [objective(float(p)) for p in grid]
    best = [float(p) for p, v in zip(grid, values, strict=True) if v == max(values)]
    return best[len(best) // 2]


def fit(examples: list[Example], folds: int = 5, seed: int = 0) -> FitReport:
    """Fit the logistic model on every example; report k-fold figures (folds by query)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    def train(items: list[Example]) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
        x = np.vstack([e.rows for e in items])
        y = np.concatenate([e.relevant for e in items]).astype(int)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=seed)
        model.fit((x - mean) / scale, y)
        return mean, scale, model

    def logits(
        items: list[Example], mean: np.ndarray, scale: np.ndarray, model: LogisticRegression
    ) -> list[np.ndarray]:
        return [model.decision_function((e.rows - mean) / scale) for e in items]

    order = np.random.default_rng(seed).permutation(len(examples))
    groups = np.arange(len(examples))[order]
    held_out: list[np.ndarray | None] = [None] * len(examples)
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(order, groups=groups):
        fitted = train([examples[order[i]] for i in train_idx])
        for i, z in zip(test_idx, logits([examples[order[i]] for i in test_idx], *fitted), strict=True):
            held_out[order[i]] = z
    cv_scores = [z for z in held_out if z is not None]
    threshold = _threshold(examples, cv_scores)
    cv = _metrics(examples, cv_scores, float(np.log(threshold / (1 - threshold))))
    mean, scale, model = train(examples)
    found = Calibration(
        features=FEATURES,
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
        threshold=threshold,
        fitted_on={
            "queries": sum(not e.offtopic for e in examples),
            "offtopic": sum(e.offtopic for e in examples),
            "pairs": int(sum(len(e.rows) for e in examples)),
        },
    )
    return FitReport(found, {"folds": folds, "threshold": threshold, **{k: round(v, 3) for k, v in cv.items()}})
