"""How sure a hit is: evidence about a (query, sheet) pair turned into a calibrated probability.

At query time this is numpy only: a logistic model whose coefficients ``kb calibrate`` fits
offline (scikit-learn, imported there alone) on labelled queries — the dev
set and the training sets' relevant sheets as positives, their other sheets and every sheet of
the off-topic and of the unanswered queries as negatives — and writes to ``kb/data/calibration.json``.

Beside the evidence about each sheet, one piece of evidence is about the query alone: is it a
question of this field at all? A second logistic model reads the query's vector (the one search
computes anyway) and was fitted on the same queries, relevant against off-topic. Unanswered
queries (of the field, but no sheet answers them: « emploi des seniors ») are negatives for the
sheet model only: the query model must not learn to silence a subject a sheet may cover tomorrow
(see ``_domain_logits``). The query model's logit is a feature of the first model, out-of-fold
while fitting, and a gate: a hit is strong when its probability reaches the threshold stored
beside the coefficients (the query's best hit: within ``TOP_MARGIN`` of it, see ``marks``) and the
query is of the field, or the sheet holds every word of it (see ``gate``).
Word and rank evidence alone could not tell « montant du RSA pour une personne seule » (one word in
common with a sheet, close in e5's narrow band) from a real question; the query's vector can.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb.text import fold, terms
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
    "specific",  # the same, each word weighted by its rarity in the corpus (a word no part holds, most)
    "tag",  # the sheet carries a tag the query names
    "named",  # the query names a tag or glossary entry at all
    "tag_whole",  # share of the named tags the sheet carries, times the share of the query they say (_tag_cover)
    "unknown",  # share of the query's own words the corpus never uses (off-topic words, or a foreign language)
    "unknown_fr",  # the same when the query is French: there it means the corpus does not speak of it
    "unsupported",  # the query names entries or tags, and the sheet holds none of their words nor tags
    "tag_meaning",  # how close by meaning the query is to the labels of the sheet's tags (z over all labels)
)


def features(
    dense: Sequence[float] | np.ndarray,
    keyword: Sequence[float] | np.ndarray,
    coverage: Sequence[float] | np.ndarray,
    specific: Sequence[float] | np.ndarray,
    tag_share: Sequence[float] | np.ndarray,
    french: bool,
    named: bool,
    tag_cover: float = 0.0,
    unknown: float = 0.0,
    tag_meaning: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """One row of FEATURES per candidate sheet (``dense`` NaN where the sheet has no dense score;
    ``coverage`` the share of the query's words each sheet holds, ``specific`` the same weighted by
    each word's rarity; ``tag_share`` the share of the query's named tags each sheet carries;
    ``tag_cover`` the share of the query's content words that name tags; ``unknown`` the share of
    its words absent from the corpus; ``tag_meaning`` each sheet's ``Searcher._tag_meaning``, 0 without)."""
    # Each feature (in FEATURES' order) a plain Python list, then one array: a search makes one such
    # matrix for a few dozen sheets, where each numpy call costs more than its arithmetic (the same
    # IEEE operations either way). Numpy's sum and log1p stay: Python's differ from them by an ulp.
    scored = [x for x in dense if x == x]  # not NaN
    floor, top = min(scored, default=0.0), max(scored, default=0.0)
    kw_max = float(max(keyword, default=0.0)) or 1.0
    n = len(dense)
    d = [x if x == x else floor for x in dense]  # a sheet without a dense score gets the lowest
    mean, spread = mean_std(np.array(d, dtype=float))
    mean, spread = float(mean), float(spread) or 1.0
    share = [k / kw_max for k in keyword]
    columns = np.array(
        (
            d,  # dense
            [(x - mean) / spread for x in d],  # dense_z
            [x - top for x in d],  # dense_gap
            share,  # keyword
            keyword,  # keyword_abs: its log1p below
            [s * float(french) for s in share],  # keyword_fr
            coverage,  # coverage
            specific,  # specific
            [float(t > 0) for t in tag_share],  # tag
            [float(named)] * n,  # named
            [t * tag_cover for t in tag_share],  # tag_whole
            [unknown] * n,  # unknown
            [unknown * float(french)] * n,  # unknown_fr
            [float(named and c == 0 and t == 0) for c, t in zip(coverage, tag_share, strict=True)],  # unsupported
            [0.0] * n if tag_meaning is None else tag_meaning,  # tag_meaning
        ),
        dtype=float,
    )
    np.log1p(columns[4], out=columns[4])
    return columns.T


def mean_std(values: np.ndarray) -> tuple[np.floating, np.floating]:
    """``values.mean()`` and ``values.std()``, bit for bit (the same reductions, in the array's
    dtype), without their Python wrappers: a search takes both of two small arrays right after
    the encoder has pushed numpy's code out of the caches, where the wrappers cost 60 µs."""
    count, kind = values.size, values.dtype.type
    mean = kind(float(np.add.reduce(values)) / count)  # numpy divides in float64 too, then rounds
    deviation = values - mean
    variance = kind(float(np.add.reduce(np.multiply(deviation, deviation, out=deviation))) / count)
    return mean, kind(math.sqrt(variance))  # a float32's square root taken in float64 rounds the same


# The model's columns: the evidence about each sheet, then the query-level "of the field" logit.
COLUMNS = (*FEATURES, "domain")
DOMAIN_C = 3.0  # the query model's regularisation (C from 1 to 10 gave the same cross-validated figures)
MIN_PRECISION = 0.65  # the threshold keeps at least this share of strong hits relevant (training sets)
# Beyond this share of first relevant sheets marked strong, silence comes first. Cross-validation
# overstates it for queries nobody has read (the glossary and lexicon were grown on these sets):
# the 66 realistic queries of 2026-11-23 evening, marked by a model fitted without them, were at
# 0.864 with 0.93 where CV said 0.931; 0.94 with TOP_MARGIN gives 0.894 there, CV 0.942.
MIN_STRONG_FIRST = 0.94
# A query's best sheet is strong with this much less logit than the threshold (the others need all of
# it): whether anything answers the query is one question, which of its runner-ups do too another.
# At the same CV strong-first (0.931), precision 0.784 -> 0.863, silences unchanged (1.0: 0.5 and
# 1.5 gave 0.831 and 0.888 with unanswered silence 0.769 and 0.646).
TOP_MARGIN = 1.0


@dataclass(frozen=True)
class Calibration:
    """A logistic model over standardised COLUMNS, the probability that makes a hit strong, and
    the query model (a vector's weights, valid for the encoder it was fitted with)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    fitted_on: dict[str, int]
    model_id: str = ""
    domain_intercept: float = 0.0
    domain_coef: tuple[float, ...] = ()
    top_margin: float = 0.0  # TOP_MARGIN when fitted (``marks``)
    # The vocabulary's labels as the model read them for ``tag_meaning`` (label, float16 base64), so a
    # process does not encode them at its first search (43 labels, 0.4 s)
    label_vectors: tuple[tuple[str, str], ...] = ()

    def labels(self, model_id: str) -> dict[str, np.ndarray]:
        """The stored label vectors, if fitted with this model."""
        if model_id != self.model_id:
            return {}
        return {label: _unpacked(text) for label, text in self.label_vectors}

    def domain(self, vector: np.ndarray | None, model_id: str, proper_name: bool = False) -> float | None:
        """The query's "of the field" logit (see ``field_logit``), or None when its vector comes
        from another model."""
        if vector is None or model_id != self.model_id or len(vector) != len(self.domain_coef):
            return None
        return field_logit(float(vector @ self._arrays[3] + self.domain_intercept), proper_name)

    def logit(self, rows: np.ndarray, domain: float | None) -> np.ndarray:
        """Without a query logit (another model), the column sits at its mean: no evidence either way."""
        mean, scale, coef, _ = self._arrays
        z = np.empty((len(rows), len(coef)))
        z[:, :-1] = rows
        z[:, -1] = self.mean[-1] if domain is None else domain
        np.subtract(z, mean, out=z)
        return np.divide(z, scale, out=z) @ coef + self.intercept

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(mean, scale, coef, domain_coef) as arrays, made once: every search reads them."""
        return tuple(np.asarray(v) for v in (self.mean, self.scale, self.coef, self.domain_coef))  # type: ignore[return-value]

    def strong(self, logits: np.ndarray, domain: float | None, rows: np.ndarray, worded: bool) -> np.ndarray:
        """Strong: probable enough (``marks``, on the ``logit`` of each sheet), past the gate (none
        with another model)."""
        strong = marks(logits, self._threshold_logit, self.top_margin)
        return strong if domain is None else strong & gate(domain, rows, worded)

    @cached_property
    def _threshold_logit(self) -> float:
        return _logit(self.threshold)

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def ranking(logits: np.ndarray, strong: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The order of a query's candidates: strong ones first, then, within each mark, the sheets
    carrying a tag or an organisation the query names (the issue's "a query naming a theme puts
    its sheets first": the logit alone let a mixed query's untagged sheets, answering the rest,
    pass them), then the model's logit. Ties keep the candidates' order."""
    return np.lexsort((-logits, -rows[:, FEATURES.index("tag")], ~strong))


def marks(logits: np.ndarray, threshold_logit: float, top_margin: float) -> np.ndarray:
    """The candidates whose logit reaches the threshold, and the query's best one if it comes
    within ``top_margin`` of it (see TOP_MARGIN); the gate is ``gate``'s."""
    strong = logits >= threshold_logit
    # The array's method, not np.argmax: its Python wrapper costs ~13 µs right after an encode.
    if len(logits) and logits[best := int(logits.argmax())] >= threshold_logit - top_margin:
        strong[best] = True
    return strong


def packed_labels(labels: Sequence[str], vectors: np.ndarray) -> tuple[tuple[str, str], ...]:
    """Label vectors for ``Calibration.label_vectors``: float16, base64 (a fortieth of the JSON)."""
    return tuple(
        (label, base64.b64encode(v.astype("<f2").tobytes()).decode("ascii"))
        for label, v in zip(labels, vectors, strict=True)
    )


def _unpacked(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)


def _logit(probability: float) -> float:
    return float(np.log(probability / (1 - probability)))


def says_words(query: str) -> bool:
    """Whether a query says a word with letters: a number alone is no question (« 25 » is in
    « Habitat 25 », « 1 » in many sheets)."""
    return any(any(c.isalpha() for c in t) for t in terms(query))


def gate(domain: float, rows: np.ndarray, worded: bool) -> np.ndarray | np.bool_:
    """Which sheets may be strong: all of them for a query of the field; for another, a sheet
    holding every word the query says, its glossary expansion included (« Recrut'Café », « kiosque
    à CV », « Dijon »: the query model reads cafés and cities; an off-topic question keeps a word
    no sheet holds), if the query says words (``says_words``). CV: unanswered silence 0.477 ->
    0.492, the rest unchanged. A query of the field gets one scalar True, not a row per sheet."""
    if domain >= 0:
        return np.True_
    return (rows[:, FEATURES.index("coverage")] == 1.0) & worded


def field_logit(domain: float, proper_name: bool) -> float:
    """The query model's logit, never below the gate's zero when the query names one of the
    field's acronyms or an organisation of the corpus: proper names say a query is of the field
    better than a vector (« VNF », « Voies navigables de France »: waterways, to e5, far from the
    training questions). Not any glossary name: « logement social » or « Pôle emploi » name
    entries in everyday questions too."""
    return max(domain, 0.0) if proper_name else domain


@cache
def load(path: Path = CALIBRATION_FILE) -> Calibration | None:
    """The fitted model, or None before ``kb calibrate`` ran (or when it was fitted on other features)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    tuples = ("features", "mean", "scale", "coef", "domain_coef")
    found = Calibration(**{**data, **{k: tuple(data[k]) for k in tuples if k in data}})
    found = replace(found, label_vectors=tuple(tuple(pair) for pair in data.get("label_vectors", ())))
    return found if found.features == COLUMNS else None


@dataclass
class Example:
    """One labelled query's candidates: their feature rows and which are relevant (none: off-topic
    or unanswered)."""

    query: str
    rows: np.ndarray
    relevant: np.ndarray
    offtopic: bool
    vector: np.ndarray  # the query's vector, as search encodes it
    unanswered: bool = False  # of the field, but no sheet answers it: never offtopic too
    proper_name: bool = False  # the query names an acronym or an organisation (``field_logit``)
    worded: bool = True  # ``says_words``


def examples(
    kb: KnowledgeBase,
    relevance: Sequence[evaluate.EvalQuery],
    noise: Sequence[evaluate.EvalQuery],
    tagged: Sequence[tuple[evaluate.EvalQuery, str]],
    unanswered: Sequence[evaluate.EvalQuery] = (),
) -> list[Example]:
    """Each labelled query's candidates among the published sheets, searched without a model:
    relevance queries' positives are the sheets their markers find, tag queries' the sheets
    carrying the tag; off-topic and unanswered queries have none."""
    from kb import evaluate

    sheets = kb.store.sheets()
    searcher = kb.searcher_for_fitting()
    labelled = [
        *((q, evaluate.relevant_ids(sheets, q), False) for q in relevance),
        *((q, set(), False) for q in noise),
        *((q, {s.id for s in sheets if tag in evaluate.sheet_tags(s)}, False) for q, tag in tagged),
        *((q, set(), True) for q in unanswered),
    ]
    out = []
    for q, relevant, unanswered_ in labelled:
        hits = searcher.search(q.query, limit=len(sheets)).hits
        rows = np.vstack([h.features for h in hits])
        relevant_hits = np.array([h.sheet.id in relevant for h in hits])
        offtopic = not relevant and not unanswered_
        vector = searcher.query_vector(q.query)
        proper_name = searcher.names_proper(q.query)
        worded = says_words(q.query)
        out.append(Example(q.query, rows, relevant_hits, offtopic, vector, unanswered_, proper_name, worded))
    return out


@dataclass
class FitReport:
    calibration: Calibration
    cross_validated: dict[str, float]


def _metrics(
    examples: list[Example], scores: list[np.ndarray], domains: np.ndarray, threshold_logit: float
) -> dict[str, float]:
    """R@1 and MRR of ranking by the model, strong-marking of the first relevant sheet, the share
    of the answered queries' strong hits that are relevant (precision), and the off-topic and
    unanswered queries' no-strong shares."""
    r1, rr, strong_first, quiet, unanswered = [], [], [], [], []
    right = marked = 0
    for ex, z, domain in zip(examples, scores, domains, strict=True):
        strong = marks(z, threshold_logit, TOP_MARGIN) & gate(domain, ex.rows, ex.worded)
        order = ranking(z, strong, ex.rows)
        if ex.offtopic:
            quiet.append(float(not strong.any()))
            continue
        if ex.unanswered:
            unanswered.append(float(not strong.any()))
            continue
        right, marked = right + int((strong & ex.relevant).sum()), marked + int(strong.sum())
        ranks = np.flatnonzero(ex.relevant[order])
        if not len(ranks):
            continue
        r1.append(float(ranks[0] == 0))
        rr.append(1.0 / (ranks[0] + 1))
        strong_first.append(float(strong[order][ranks[0]]))
    mean = lambda v: float(np.mean(v)) if v else 0.0  # noqa: E731
    found = {
        "r@1": mean(r1),
        "mrr": mean(rr),
        "strong_first": mean(strong_first),
        "precision": right / (marked or 1),
        "offtopic_no_strong": mean(quiet),
    }
    return found | ({"unanswered_no_strong": mean(unanswered)} if unanswered else {})


def _threshold(examples: list[Example], scores: list[np.ndarray], domains: np.ndarray) -> float:
    """The probability cut that marks the first relevant sheet strong as often as it can up to
    MIN_STRONG_FIRST, then keeps off-topic and unanswered queries silent (the weaker of the two,
    then their sum with strong-marking), among the cuts that keep MIN_PRECISION of the answered
    queries' strong hits relevant (without it the gate lets the cut fall until most candidates of
    a real question are strong); of the cuts that tie, the middle one, furthest from both edges."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)

    def objective(p: float) -> tuple[bool, float, float, float]:
        m = _metrics(examples, scores, domains, _logit(p))
        quiet = [m[k] for k in ("offtopic_no_strong", "unanswered_no_strong") if k in m]
        return (
            m["precision"] >= MIN_PRECISION,
            round(min(m["strong_first"], MIN_STRONG_FIRST), 6),
            round(min(quiet), 6),
            round(m["strong_first"] + sum(quiet), 6),
        )

    values = [objective(float(p)) for p in grid]
    best = [float(p) for p, v in zip(grid, values, strict=True) if v == max(values)]
    return best[len(best) // 2]


def _groups(examples: list[Example]) -> np.ndarray:
    """One group per distinct query text: a query written twice (« football ») never sits on
    both sides of a fold."""
    first: dict[str, int] = {}
    return np.array([first.setdefault(" ".join(fold(e.query).split()), i) for i, e in enumerate(examples)])


def _folds(examples: list[Example], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One k-fold split by query (shuffled with ``seed``, off-topic queries spread evenly), shared
    by both models: a sheet model tested on a fold never reads a query logit fitted on it."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.array([not e.offtopic for e in examples], dtype=int)
    split = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(split.split(np.zeros(len(examples)), y, _groups(examples)))


def _domain_logits(examples: list[Example], split: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, object]:
    """Each query's "of the field" logit from a model that never saw it (k-fold by query), and
    the model fitted on every query (what search uses).

    Unanswered queries are left out of its fitting (they still get a logit): as negatives it would
    learn to silence subjects a sheet may cover tomorrow; as positives or left out it does not, and
    left out won by cross-validation (unanswered silence 0.37-0.39 against 0.31-0.34 over four
    seeds, strong-first 0.93-0.94 both; 0.45-0.46 against 0.34-0.39 before the tag names of
    English, German and Spanish queries grew)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([e.vector for e in examples])
    y = np.array([not e.offtopic for e in examples], dtype=int)
    seen = np.array([not e.unanswered for e in examples])
    model = LogisticRegression(C=DOMAIN_C, class_weight="balanced", max_iter=5000)
    out_of_fold = np.zeros(len(examples))
    for train, test in split:
        fitted = model.fit(x[train][seen[train]], y[train][seen[train]])
        out_of_fold[test] = fitted.decision_function(x[test])
    return out_of_fold, model.fit(x[seen], y[seen])


def fit(examples: list[Example], folds: int = 5, seed: int = 0, model_id: str = "") -> FitReport:
    """Fit the sheet model on every example and the query model on every example but the
    unanswered queries; report k-fold figures (folds by query, the same for both models). The
    sheet model reads each query's out-of-fold "of the field" logit, as it will read a new query's."""
    from sklearn.linear_model import LogisticRegression

    split = _folds(examples, folds, seed)
    raw, domain_model = _domain_logits(examples, split)
    domains = np.array([field_logit(d, e.proper_name) for d, e in zip(raw, examples, strict=True)])
    items = [
        replace(e, rows=np.hstack([e.rows, np.full((len(e.rows), 1), d)]))
        for e, d in zip(examples, domains, strict=True)
    ]

    def train(part: list[Example]) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
        x = np.vstack([e.rows for e in part])
        y = np.concatenate([e.relevant for e in part]).astype(int)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=seed)
        model.fit((x - mean) / scale, y)
        return mean, scale, model

    def logits(part: list[Example], mean: np.ndarray, scale: np.ndarray, model: LogisticRegression) -> list[np.ndarray]:
        return [model.decision_function((e.rows - mean) / scale) for e in part]

    held_out: list[np.ndarray | None] = [None] * len(items)
    for train_idx, test_idx in split:
        fitted = train([items[i] for i in train_idx])
        for i, z in zip(test_idx, logits([items[i] for i in test_idx], *fitted), strict=True):
            held_out[i] = z
    cv_scores = [z for z in held_out if z is not None]
    threshold = _threshold(items, cv_scores, domains)
    cv = _metrics(items, cv_scores, domains, _logit(threshold))
    mean, scale, model = train(items)
    found = Calibration(
        features=COLUMNS,
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
        threshold=threshold,
        fitted_on={
            "queries": sum(not e.offtopic and not e.unanswered for e in examples),
            "offtopic": sum(e.offtopic for e in examples),
            "unanswered": sum(e.unanswered for e in examples),
            "pairs": int(sum(len(e.rows) for e in examples)),
        },
        model_id=model_id,
        domain_intercept=round(float(domain_model.intercept_[0]), 6),  # type: ignore[attr-defined]
        domain_coef=tuple(round(float(v), 6) for v in domain_model.coef_[0]),  # type: ignore[attr-defined]
        top_margin=TOP_MARGIN,
    )
    return FitReport(found, {"folds": folds, "threshold": threshold, **{k: round(v, 3) for k, v in cv.items()}})
