"""The strong/weak model: fitted offline, applied with numpy, stored beside the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kb import calibration, evaluate
from kb.encoder import DEFAULT_MODEL_ID
from kb.knowledge_base import KnowledgeBase
from tests.helpers import PRACTICES, KbFactory


def test_the_shipped_model_matches_the_features_computed_at_query_time() -> None:
    model = calibration.load()
    assert model is not None and model.features == calibration.COLUMNS
    assert len(model.coef) == len(model.mean) == len(model.scale) == len(calibration.COLUMNS)
    assert model.model_id == DEFAULT_MODEL_ID and len(model.domain_coef) == 384
    assert 0 < model.threshold < 1 and model.fitted_on["offtopic"] >= 40 and model.fitted_on["queries"] >= 60


def test_features_are_relative_to_the_query_and_absolute() -> None:
    rows = calibration.features(
        np.array([0.85, 0.80, np.nan]),
        np.array([4.0, 0.0, 2.0]),
        np.array([1.0, 0.0, 0.5]),
        np.array([0.8, 0.0, 0.2]),
        np.array([1.0, 0.5, 0.0]),
        french=True,
        named=True,
        tag_cover=0.5,
        unknown=0.25,
    )
    assert rows.shape == (3, len(calibration.FEATURES))
    col = {name: rows[:, i] for i, name in enumerate(calibration.FEATURES)}
    assert col["dense"][2] == pytest.approx(0.80)  # no dense score: the query's lowest
    assert col["dense_gap"][0] == 0 and col["keyword"][0] == 1.0 and col["tag"].tolist() == [1, 1, 0]
    assert col["tag_whole"].tolist() == [0.5, 0.25, 0.0]  # carried share times the query's share naming tags
    assert col["unknown"].tolist() == col["unknown_fr"].tolist() == [0.25] * 3


def test_mean_std_is_numpys_bit_for_bit() -> None:
    """Label cosines (float32) and dense scores (float64), sizes around numpy's pairwise blocks."""
    rng = np.random.default_rng(0)
    for size in (1, 7, 8, 9, 43, 128, 130, 300):
        for dtype in (np.float32, np.float64):
            values = (rng.standard_normal(size) * 0.03 + 0.8).astype(dtype)
            mean, std = calibration.mean_std(values)
            assert mean == values.mean() and std == values.std() and type(std) is type(values.std())


def test_unknown_words_count_only_for_french_queries_in_unknown_fr() -> None:
    ones = np.ones(2)
    rows = calibration.features(ones, ones, ones, ones, ones, french=False, named=False, unknown=0.5)
    col = {name: rows[:, i] for i, name in enumerate(calibration.FEATURES)}
    assert col["unknown"].tolist() == [0.5, 0.5] and col["unknown_fr"].tolist() == [0.0, 0.0]


def test_a_sheet_sharing_nothing_a_named_query_says_is_unsupported() -> None:
    """« ANRU » : a sheet close by meaning alone (« ANAR ») holds neither the words the name stands
    for nor its tag; one holding either is supported; a query naming nothing leaves it at 0."""
    dense, keyword = np.array([0.86, 0.82, 0.81]), np.zeros(3)
    coverage, tags = np.array([0.0, 0.3, 0.0]), np.array([0.0, 0.0, 1.0])
    named = calibration.features(dense, keyword, coverage, coverage, tags, french=True, named=True)
    plain = calibration.features(dense, keyword, coverage, coverage, tags, french=True, named=False)
    column = calibration.FEATURES.index("unsupported")
    assert named[:, column].tolist() == [1.0, 0.0, 0.0] and plain[:, column].tolist() == [0.0] * 3


def test_specific_coverage_weighs_a_words_rarity(kb: KnowledgeBase) -> None:
    """« Corse »: no sheet says it, so a sheet holding only the common words of the query covers
    less of it by rarity than by count."""
    hits = kb.searcher().search("clause sociale en Corse", limit=11).hits
    column = {name: i for i, name in enumerate(calibration.FEATURES)}
    held = [h for h in hits if h.features[column["coverage"]] > 0]
    assert held and all(h.features[column["specific"]] < h.features[column["coverage"]] for h in held)


def test_ranking_puts_strong_first_then_the_named_tags_carried_then_the_logit() -> None:
    rows = np.zeros((4, len(calibration.FEATURES)))
    rows[[1, 3], calibration.FEATURES.index("tag")] = 1.0  # the sheets carrying the named tag
    logits = np.array([3.0, 2.0, 1.0, 5.0])
    strong = np.array([True, True, False, False])
    assert calibration.ranking(logits, strong, rows).tolist() == [1, 0, 3, 2]


def _synthetic(seed: int = 1) -> Callable[..., calibration.Example]:
    """A maker of labelled queries: field questions lie along one direction of vector space, and
    their relevant sheet (the first candidate) stands out of the others by its features."""
    rng = np.random.default_rng(seed)
    field = rng.normal(0, 1, 8)
    made = iter(range(10_000))

    def example(relevant: bool, offtopic: bool, unanswered: bool = False, lift: float = 0.0) -> calibration.Example:
        rows = rng.normal(0, 0.1, (5, len(calibration.FEATURES)))
        rows[0] += lift
        labels = np.zeros(5, dtype=bool)
        if relevant:
            rows[0] += 3.0
            labels[0] = True
        vector = rng.normal(0, 0.3, 8) + (field if not offtopic else -field)
        return calibration.Example(f"q{next(made)}", rows, labels, offtopic, vector, unanswered)

    return example


def test_fit_separates_relevant_from_offtopic_and_cross_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sklearn")
    example = _synthetic()
    examples = [example(True, False) for _ in range(30)] + [example(False, True) for _ in range(30)]
    report = calibration.fit(examples, folds=5, model_id="m")
    assert report.cross_validated["r@1"] == 1.0 and report.cross_validated["strong_first"] == 1.0
    assert report.cross_validated["offtopic_no_strong"] == 1.0 and report.cross_validated["precision"] == 1.0
    found = report.calibration
    first = examples[0]
    domain = found.domain(first.vector, "m")
    against = found.domain(-first.vector, "m")
    assert domain is not None and domain > 0 and against is not None and against < 0
    assert found.domain(first.vector, "another model") is None
    assert found.domain(-first.vector, "m", proper_name=True) == 0.0  # named acronyms open the gate
    assert found.domain(first.vector, "m", proper_name=True) == domain
    logits = found.logit(first.rows, domain)
    rows = first.rows
    assert found.strong(logits, domain, rows, True).tolist() == [True, False, False, False, False]
    assert not found.strong(logits, -1.0, rows, True).any()  # not a question of the field: nothing strong
    assert found.strong(logits, None, rows, True)[0]  # another model: no gate, the sheet evidence decides
    whole = rows.copy()
    whole[0, calibration.FEATURES.index("coverage")] = 1.0  # the sheet holds every word of the query
    assert found.strong(logits, -1.0, whole, True).tolist() == [True, False, False, False, False]
    assert not found.strong(logits, -1.0, whole, False).any()  # « 25 »: a number alone is no question
    # A proper name's query logit (field_logit: exactly 0.0) is of the field, as a higher one.
    assert found.strong(logits, 0.0, rows, False).tolist() == found.strong(logits, 1.0, rows, False).tolist()
    # The gate's rule is the gate's alone: a stricter gate closes strong for the queries it turns away.
    monkeypatch.setattr(calibration, "gate", lambda domain, rows, worded: np.bool_(domain >= 0.2))
    assert not found.strong(logits, 0.1, rows, True).any()
    assert found.strong(logits, 0.3, rows, True).tolist() == [True, False, False, False, False]


def test_unanswered_queries_are_negatives_for_the_sheets_only() -> None:
    pytest.importorskip("sklearn")
    example = _synthetic()
    answered = [example(True, False) for _ in range(30)]
    noise = [example(False, True) for _ in range(30)]
    # Of the field, and their first candidate looks half as good as a relevant sheet.
    unanswered = [example(False, False, unanswered=True, lift=1.5) for _ in range(20)]
    without = calibration.fit(answered + noise, folds=5, model_id="m")
    report = calibration.fit(answered + noise + unanswered, folds=5, model_id="m")
    assert report.calibration.fitted_on == {"queries": 30, "offtopic": 30, "unanswered": 20, "pairs": 400}
    assert report.cross_validated["unanswered_no_strong"] == 1.0 and report.cross_validated["strong_first"] == 1.0

    def sheet_probability(model: calibration.Calibration, e: calibration.Example) -> float:
        domain = model.domain(e.vector, "m")
        return float(1 / (1 + np.exp(-model.logit(e.rows, domain)[0])))

    for e in unanswered:  # their best candidate is now less likely, the query no less of the field
        assert sheet_probability(report.calibration, e) < sheet_probability(without.calibration, e)
        assert report.calibration.domain(e.vector, "m") == without.calibration.domain(e.vector, "m") > 0


def test_the_same_query_twice_stays_in_one_fold() -> None:
    example = _synthetic()
    twice = [example(False, True), example(True, False), example(False, True)]
    twice[2].query = twice[0].query.upper()
    assert calibration._groups(twice).tolist() == [0, 1, 0]


def test_examples_label_each_querys_candidates(make_kb: KbFactory) -> None:
    kb = make_kb(practices=PRACTICES)
    relevance = [evaluate.EvalQuery("fr", "nettoyage de chantiers par des jeunes", ("tapaj",))]
    noise = [evaluate.EvalQuery("en", "weather tomorrow")]
    tagged = [(evaluate.EvalQuery("fr", "économie circulaire"), "economie-circulaire")]
    unanswered = [evaluate.EvalQuery("fr", "emploi des seniors")]
    found = calibration.examples(kb, relevance, noise, tagged, unanswered)
    assert [(e.query, e.offtopic, e.unanswered) for e in found] == [
        ("nettoyage de chantiers par des jeunes", False, False),
        ("weather tomorrow", True, False),
        ("économie circulaire", False, False),
        ("emploi des seniors", False, True),
    ]
    sheets = kb.store.count()
    for example in found:  # every published sheet is a candidate, with one row of features
        assert example.rows.shape == (sheets, len(calibration.FEATURES)) and example.relevant.shape == (sheets,)
        assert np.allclose(example.vector, kb.searcher().query_vector(example.query))
    assert [int(e.relevant.sum()) for e in found] == [1, 0, 3, 0]  # one tapaj sheet; three carry the tag


def test_a_querys_best_hit_needs_less_than_the_others() -> None:
    logits = np.array([0.5, 0.4, -2.0])
    assert calibration.marks(logits, 1.0, 1.0).tolist() == [True, False, False]  # the best, within the margin
    assert calibration.marks(logits, 1.0, 0.0).tolist() == [False, False, False]
    assert calibration.marks(logits, 0.3, 1.0).tolist() == [True, True, False]
    assert calibration.marks(np.array([-0.5]), 1.0, 1.0).tolist() == [False]  # beyond the margin
    assert calibration.marks(np.zeros(0), 1.0, 1.0).tolist() == []


def test_label_vectors_are_stored_with_the_model_that_read_them(tmp_path: Path) -> None:
    vectors = np.eye(3, 4, dtype=np.float32)
    packed = calibration.packed_labels(["Jeunes", "Seniors", "Femmes"], vectors)
    fitted = calibration.Calibration(
        calibration.COLUMNS,
        *[(v,) * len(calibration.COLUMNS) for v in (0.0, 1.0, 0.0)],
        0.0,
        0.5,
        {},
        "m",
        label_vectors=packed,
    )
    fitted.save(tmp_path / "c.json")
    loaded = calibration.load(tmp_path / "c.json")
    assert loaded is not None and loaded.labels("another model") == {}
    assert np.array_equal(loaded.labels("m")["Seniors"], vectors[1])
