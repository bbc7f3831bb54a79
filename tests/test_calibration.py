"""The strong/weak model: fitted offline, applied with numpy, stored beside the code."""

from __future__ import annotations

import numpy as np
import pytest

from kb import calibration, evaluate
from kb.encoder import DEFAULT_MODEL_ID
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


def test_unknown_words_count_only_for_french_queries_in_unknown_fr() -> None:
    ones = np.ones(2)
    rows = calibration.features(ones, ones, ones, ones, french=False, named=False, unknown=0.5)
    col = {name: rows[:, i] for i, name in enumerate(calibration.FEATURES)}
    assert col["unknown"].tolist() == [0.5, 0.5] and col["unknown_fr"].tolist() == [0.0, 0.0]


def test_fit_separates_relevant_from_offtopic_and_cross_validates() -> None:
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(1)
    field = rng.normal(0, 1, 8)  # the direction in vector space of the field's questions

    def example(relevant: bool, offtopic: bool) -> calibration.Example:
        rows = rng.normal(0, 0.1, (5, len(calibration.FEATURES)))
        labels = np.zeros(5, dtype=bool)
        if relevant:
            rows[0] += 3.0
            labels[0] = True
        vector = rng.normal(0, 0.3, 8) + (field if not offtopic else -field)
        return calibration.Example("q", rows, labels, offtopic, vector)

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
    probability = 1 / (1 + np.exp(-found.logit(first.rows, domain)))
    assert found.strong(probability, domain).tolist() == [True, False, False, False, False]
    assert not found.strong(probability, -1.0).any()  # not a question of the field: nothing strong
    assert found.strong(probability, None)[0]  # another model: no gate, the sheet evidence decides


def test_examples_label_each_querys_candidates(make_kb: KbFactory) -> None:
    kb = make_kb(practices=PRACTICES)
    relevance = [evaluate.EvalQuery("fr", "nettoyage de chantiers par des jeunes", ("tapaj",))]
    noise = [evaluate.EvalQuery("en", "weather tomorrow")]
    tagged = [(evaluate.EvalQuery("fr", "économie circulaire"), "economie-circulaire")]
    found = calibration.examples(kb, relevance, noise, tagged)
    assert [(e.query, e.offtopic) for e in found] == [
        ("nettoyage de chantiers par des jeunes", False),
        ("weather tomorrow", True),
        ("économie circulaire", False),
    ]
    sheets = kb.store.count()
    for example in found:  # every published sheet is a candidate, with one row of features
        assert example.rows.shape == (sheets, len(calibration.FEATURES)) and example.relevant.shape == (sheets,)
        assert np.allclose(example.vector, kb.searcher().query_vector(example.query))
    assert [int(e.relevant.sum()) for e in found] == [1, 0, 3]  # one tapaj sheet; three carry the tag
