"""The evaluation harness: R@1, strong-marking, off-topic and tag shares on hand-made rankings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import evaluate
from kb.knowledge_base import KnowledgeBase
from kb.sheet import Sheet
from tests.helpers import PRACTICES, KbFactory


def _sheet(sheet_id: str, text: str, themes: list[str]) -> Sheet:
    return Sheet(id=sheet_id, title=text, themes=themes)


SHEETS = [
    _sheet("a", "Alpha recyclage", ["economie-circulaire"]),
    _sheet("b", "Beta recyclage", ["economie-circulaire"]),
    _sheet("c", "Gamma femmes", ["diversification-publics"]),
]


def test_r1_and_strong_first_count_the_first_relevant_sheet() -> None:
    queries = [evaluate.EvalQuery("fr", "q1", ("Gamma",)), evaluate.EvalQuery("en", "q2", ("Alpha",))]
    rankings = {
        "q1": evaluate.Ranking(["c", "a", "b"], frozenset({"c"})),  # first, strong
        "q2": evaluate.Ranking(["b", "a", "c"], frozenset({"b"})),  # second, weak
    }
    scores = evaluate.score(evaluate.run(queries, SHEETS, rankings.__getitem__), k=3)
    assert scores.r1 == 0.5 and scores.strong_first == 0.5
    assert scores.by_language["fr"].r1 == 1.0 and scores.by_language["en"].strong_first == 0.0
    assert scores.mrr == pytest.approx(0.75)


def test_a_plain_list_of_ids_is_a_ranking_with_nothing_strong() -> None:
    queries = [evaluate.EvalQuery("fr", "q", ("Alpha",))]
    scores = evaluate.score(evaluate.run(queries, SHEETS, lambda q: ["a", "b"]))
    assert scores.r1 == 1.0 and scores.strong_first == 0.0


def test_offtopic_share_counts_queries_without_a_strong_hit() -> None:
    queries = [evaluate.EvalQuery("fr", "pizza"), evaluate.EvalQuery("en", "zzzz")]
    share = evaluate.offtopic(
        queries, lambda q: evaluate.Ranking(["a"], frozenset({"a"}) if q == "pizza" else frozenset())
    )
    assert share.share == 0.5 and share.failed == ["pizza"] and share.by_language["en"].share == 1.0


def test_tag_share_needs_the_first_n_hits_to_carry_the_tag() -> None:
    pairs = [
        (evaluate.EvalQuery("fr", "circulaire"), "economie-circulaire"),  # 2 sheets carry it: n = 2
        (evaluate.EvalQuery("fr", "femmes"), "diversification-publics"),  # 1 sheet: n = 1
    ]
    ranks = {"circulaire": ["a", "c", "b"], "femmes": ["c", "a", "b"]}
    share = evaluate.tag_queries(pairs, SHEETS, lambda q: ranks[q])
    assert share.share == 0.5 and share.failed == ["circulaire"]


def test_tag_file_rejects_an_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "tags.tsv"
    path.write_text("fr\tfemmes\tfemmes-typo\n", encoding="utf-8")
    with pytest.raises(evaluate.EvalFileError, match="unknown vocabulary key"):
        evaluate.read_tag_queries(path, {"femmes"})
    path.write_text("fr\tonly two\n", encoding="utf-8")
    with pytest.raises(evaluate.EvalFileError, match="lang<TAB>query<TAB>tag"):
        evaluate.read_tag_queries(path)


def test_evaluate_runs_every_mode_over_the_knowledge_base(make_kb: KbFactory) -> None:
    kb = make_kb(practices=PRACTICES)
    items = [
        evaluate.EvalQuery("fr", "nettoyage de chantiers par des jeunes", ("tapaj",)),
        evaluate.EvalQuery("en", "intellectual services contracts", ("prestations intellectuelles",)),
    ]
    noise = [evaluate.EvalQuery("fr", "recette de la pizza napolitaine")]
    tagged = [(evaluate.EvalQuery("fr", "économie circulaire"), "economie-circulaire")]
    found = evaluate.evaluate(kb, items, noise, tagged, ["keyword", "dense"], k=3)
    assert list(found.modes) == ["keyword", "dense"]
    keyword = found.modes["keyword"]
    assert keyword.results[0].ranked[0] == "tapaj-c3b-nettoyage-chantiers-jeunes"
    assert not any(r.strong for r in keyword.results)  # only the hybrid mode marks hits strong
    assert len(found.modes["dense"].results[0].ranked) == kb.store.count()  # each query ranks every sheet
    report = found.as_dict()
    assert list(report["keyword"]) == ["all", "en", "fr", "offtopic_no_strong", "tags_first"]
    assert report["keyword"]["all"]["queries"] == 2 and report["keyword"]["fr"]["r@1"] == 1.0
    assert report["keyword"]["offtopic_no_strong"] == {
        "all": {"queries": 1, "share": 1.0},
        "fr": {"queries": 1, "share": 1.0},
    }


def test_evaluate_without_relevance_queries_has_only_the_checks(make_kb: KbFactory) -> None:
    kb = make_kb(practices=PRACTICES)
    noise = [evaluate.EvalQuery("en", "weather tomorrow")]
    unanswered = [evaluate.EvalQuery("fr", "emploi des seniors de plus de 55 ans")]
    report = evaluate.evaluate(kb, [], noise, [], ["keyword"], unanswered=unanswered).as_dict()
    assert report == {
        "keyword": {
            "offtopic_no_strong": {"all": {"queries": 1, "share": 1.0}, "en": {"queries": 1, "share": 1.0}},
            "unanswered_no_strong": {"all": {"queries": 1, "share": 1.0}, "fr": {"queries": 1, "share": 1.0}},
        }
    }


def test_the_hybrid_search_marks_strong_what_the_evaluation_counts(kb: KnowledgeBase) -> None:
    query = evaluate.EvalQuery("fr", "nettoyage de chantiers par des jeunes", ("tapaj",))
    [result] = evaluate.evaluate(kb, [query], [], [], ["hybrid"]).modes["hybrid"].results
    hits = kb.search(query.query, limit=kb.store.count()).hits
    assert result.strong == {h.sheet.id for h in hits if h.match == "strong"}
    assert result.ranked[0] == "tapaj-c3b-nettoyage-chantiers-jeunes" and result.ranked[0] in result.strong
