"""Search quality and behaviour on the real corpus with the real model."""

from __future__ import annotations

import numpy as np
import pytest

from kb import calibration, evaluate
from kb.calibration import COLUMNS
from kb.knowledge_base import KnowledgeBase
from tests.helpers import DEV_QUERIES, ROOT

FIRST = {
    "mobiliser les publics féminins": "creativ-dijon-demarche-territoriale",
    "intellectual services contracts": "creativ21-vnf-prestations-intellectuelles",
    "marchés de prestations intellectuelles": "creativ21-vnf-prestations-intellectuelles",
    "nettoyage de chantiers par des jeunes": "tapaj-c3b-nettoyage-chantiers-jeunes",
    "recycling plant run with an integration workshop": "anar-usine-de-tri-sieen",
    "réseau régional des facilitateurs": "agire-reseau-regional-facilitateurs",
}


@pytest.mark.parametrize(("query", "expected"), FIRST.items())
def test_the_right_sheet_comes_first_in_french_and_english(kb: KnowledgeBase, query: str, expected: str) -> None:
    hit = kb.search(query, limit=1).hits[0]
    assert hit.sheet.id == expected


def test_a_hit_names_the_matching_part_and_highlights_the_query(kb: KnowledgeBase) -> None:
    hit = kb.search("mobiliser les publics féminins", limit=1).hits[0]
    assert hit.section in ("title", "actions")
    assert "<mark>" in hit.snippet.html
    assert {w.casefold() for w in hit.snippet.matched} & {"féminins", "mobiliser", "publics"}
    data = hit.to_json()
    assert {"id", "title", "score", "section", "snippet", "organisations", "region"} <= set(data)


@pytest.mark.parametrize("path", [DEV_QUERIES, ROOT / "tests" / "data" / "heldout_queries.tsv"], ids=["dev", "heldout"])
def test_hybrid_quality_targets(kb: KnowledgeBase, path) -> None:
    if not path.exists():
        pytest.skip("shared/eval not beside the checkout")
    queries = evaluate.read_queries(path)
    sheets = kb.store.sheets()
    scores = {
        mode: evaluate.score(
            evaluate.run(queries, sheets, lambda q, m=mode: [h.sheet.id for h in kb.search(q, limit=11, mode=m).hits])
        )
        for mode in ("hybrid", "dense", "keyword")
    }
    for lang, hybrid in scores["hybrid"].by_language.items():
        for single in ("dense", "keyword"):
            assert hybrid.mrr >= scores[single].by_language[lang].mrr - 1e-9, (lang, single)
    if path == DEV_QUERIES:
        for lang, hybrid in scores["hybrid"].by_language.items():
            assert hybrid.recall >= 0.95 and hybrid.mrr >= 0.9, lang
        assert scores["hybrid"].mrr >= max(scores["dense"].mrr, scores["keyword"].mrr) and scores["hybrid"].r1 == 1.0


def test_filters_combine_with_the_query_and_browse_without_one(kb: KnowledgeBase) -> None:
    results = kb.search("insertion", {"theme": ["economie-circulaire"]}, limit=20)
    assert results.total == 3
    assert all("economie-circulaire" in h.sheet.themes for h in results.hits)
    both = kb.search("", {"theme": "economie-circulaire", "market_type": "travaux"})
    assert [h.sheet.id for h in both.hits] == ["rectorat-besancon-economie-circulaire"]
    browse = kb.search("", limit=100)
    assert browse.total == 11
    titles = [h.sheet.title.casefold() for h in browse.hits]
    assert titles == sorted(titles)
    assert kb.search("jeunes", {"region": "Grand Est"}).total == 0
    assert (
        kb.search("jeunes", {"year": "2022", "public": "jeunes"}).hits[0].sheet.id
        == "tapaj-c3b-nettoyage-chantiers-jeunes"
    )
    assert kb.search("", {"event": "bourgogne-franche-comte-2022"}).total == 11


def test_unknown_filters_and_values_are_harmless(kb: KnowledgeBase) -> None:
    assert kb.search("jeunes", {"colour": "blue"}).total == 11
    assert kb.search("jeunes", {"theme": "<script>"}).total == 0


HOSTILE = [
    "",
    " ",
    '"',
    "'",
    '""',
    "(",
    ")",
    "*",
    "NEAR",
    "NEAR(a b)",
    "a OR",
    "AND",
    "NOT x",
    "col:val",
    "^x",
    "mobilis*",
    '"unterminated',
    "{a b}",
    "x" * 10_000,
    "🙂🚀 économie",
    "\x00\x01 nul",
    "שלום עולם",
    "e\u0301conomie",
    "'; DROP TABLE sheets; --",
    "%_%",
    "\\",
    "-",
    "a" + "\u200f" * 50,
    "\ufeff",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_any_query_string_is_safe(kb: KnowledgeBase, query: str) -> None:
    for mode in ("hybrid", "keyword", "dense"):
        results = kb.search(query, limit=5, mode=mode)  # type: ignore[arg-type]
        assert len(results.hits) <= 5 and results.total == len(results.ids) <= 11


def test_combining_accent_is_folded_like_a_precomposed_one(kb: KnowledgeBase) -> None:
    decomposed = kb.search("e\u0301conomie circulaire", limit=2, mode="keyword")
    composed = kb.search("économie circulaire", limit=2, mode="keyword")
    assert [h.sheet.id for h in decomposed.hits] == [h.sheet.id for h in composed.hits]


def test_paging(kb: KnowledgeBase) -> None:
    everything = [h.sheet.id for h in kb.search("clause sociale", limit=11).hits]
    pages = [h.sheet.id for o in range(0, 11, 4) for h in kb.search("clause sociale", limit=4, offset=o).hits]
    assert pages == everything
    assert kb.search("clause sociale", limit=5, offset=10**12).hits == []
    assert kb.search("clause sociale", limit=-3, offset=-9).hits == []


def test_similar_sheets(kb: KnowledgeBase) -> None:
    similar = kb.similar("sdat-economie-circulaire-rives-de-saone", 3)
    ids = [s.id for s, _ in similar]
    assert len(ids) == 3 and "sdat-economie-circulaire-rives-de-saone" not in ids
    assert "rectorat-besancon-economie-circulaire" in ids
    assert kb.similar("no-such-sheet") == []


def test_hits_are_marked_strong_or_weak_strong_first(kb: KnowledgeBase) -> None:
    results = kb.search("économie circulaire", limit=20)
    marks = [h.match for h in results.hits]
    assert results.total == len(results.hits) == 11 and results.strong == marks.count("strong") >= 2
    assert marks == sorted(marks, key=lambda m: m != "strong")  # strong before weak
    strong = [h for h in results.hits if h.match == "strong"]
    assert all("economie-circulaire" in h.sheet.themes for h in strong)
    assert {"match", "probability", "reasons"} <= set(results.hits[0].to_json())
    assert kb.search("", limit=3).strong is None and kb.search("", limit=3).hits[0].match is None


def test_an_acronym_puts_the_tagged_sheets_first_and_offers_the_filter(kb: KnowledgeBase) -> None:
    results = kb.search("ANRU", limit=11)
    assert all("renouvellement-urbain" in h.sheet.themes for h in results.hits[:2])
    # the ANAR sheet is close by meaning only (the model's neighbour acronym): never a strong match
    assert [h.sheet.id for h in results.hits if h.match == "strong"] == [h.sheet.id for h in results.hits[:2]]
    assert [(f.name, f.value, f.count) for f in results.filter_suggestions] == [("theme", "renouvellement-urbain", 2)]
    kinds = {r.kind for r in results.hits[0].reasons}
    assert {"tag", "glossary"} <= kinds
    assert kb.search("ANRU", {"theme": ["renouvellement-urbain"]}).filter_suggestions == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("AGIRE", "agire-reseau-regional-facilitateurs"), ("VNF", "creativ21-vnf-prestations-intellectuelles")],
)
def test_a_query_naming_an_organisation_finds_its_sheets_strong_and_says_why(
    kb: KnowledgeBase, query: str, expected: str
) -> None:
    # « AGIRE » stems to « agir », and e5 reads « VNF » as waterways: the sheets' "who" says better
    results = kb.search(query, limit=3)
    assert [h.sheet.id for h in results.hits if h.match == "strong"] == [expected]
    assert f"Structure : {query}" in {r.text for r in results.hits[0].reasons}
    assert kb.search("météo à Besançon", limit=3).strong == 0  # a place is no organisation


@pytest.mark.parametrize("query", ["Voies navigables de France", "French waterways authority"])
def test_a_glossary_name_of_an_organisation_names_it(kb: KnowledgeBase, query: str) -> None:
    """The sheets only say « VNF »: the glossary's full form and English name reach it too."""
    results = kb.search(query, limit=3)
    assert [h.sheet.id for h in results.hits if h.match == "strong"] == ["creativ21-vnf-prestations-intellectuelles"]
    assert "Structure : VNF" in {r.text for r in results.hits[0].reasons}


@pytest.mark.parametrize("query", ["Recrut'Café", "kiosque à CV"])
def test_a_sheet_holding_every_word_of_a_query_the_query_model_doubts_is_strong(kb: KnowledgeBase, query: str) -> None:
    # the query model reads a café; the sheet holds both words
    results = kb.search(query, limit=3)
    assert [h.sheet.id for h in results.hits if h.match == "strong"] == ["ideis-recrut-cafe-kiosque-a-cvs"]


@pytest.mark.parametrize(
    "query", ["clause sociale dans les marchés de travaux", "public buyers and the circular economy", "jeunes et BTP"]
)
def test_within_each_mark_the_sheets_carrying_the_named_tags_come_first(kb: KnowledgeBase, query: str) -> None:
    tag = COLUMNS.index("tag")
    hits = kb.search(query, limit=11).hits
    assert any(h.features[tag] for h in hits)  # the query names a tag some sheet carries
    for mark in ("strong", "weak"):
        carried = [h.features[tag] for h in hits if h.match == mark]
        assert carried == sorted(carried, reverse=True), (query, mark)


@pytest.mark.parametrize("query", ["recette de la pizza", "zzzz", "weather forecast tomorrow", "25", "\\1", "2024"])
def test_an_offtopic_query_has_no_strong_hit_and_suggests_themes(kb: KnowledgeBase, query: str) -> None:
    results = kb.search(query, limit=5)
    assert results.strong == 0 and results.total == 11
    assert all(h.match == "weak" for h in results.hits)
    assert results.closest_themes and all(t.count > 0 for t in results.closest_themes)


def test_a_misspelt_query_gets_a_suggestion_from_the_corpus(kb: KnowledgeBase) -> None:
    results = kb.search("insertoin jeunes", limit=5)
    assert results.language == "fr" and results.suggestion == "insertion jeunes"
    # used automatically only when the query as typed has no strong match, and then said so
    assert results.strong and (results.corrected_from is None or results.query == "insertion jeunes")
    gibberish = kb.search("kkkkk", limit=5)
    assert gibberish.strong == 0 and gibberish.corrected_from is None


def test_a_query_in_another_language_reaches_the_french_keyword_index_through_the_lexicon(kb: KnowledgeBase) -> None:
    hit = kb.search("Reinigung von Baustellen", limit=1).hits[0]  # « nettoyage », « chantiers »
    assert hit.sheet.id == "tapaj-c3b-nettoyage-chantiers-jeunes" and hit.keyword and hit.match == "strong"
    # the card says which French words stood for the query's: one per words said and stem
    assert ("glossary", "Reinigung → nettoyage ; Baustellen → chantier") in [(r.kind, r.text) for r in hit.reasons]
    assert {"nettoyage", "chantiers"} <= set(hit.snippet.matched)


def test_the_model_reads_a_query_in_another_language_with_its_lexicon_words_in_place(kb: KnowledgeBase) -> None:
    searcher = kb.searcher()
    english, french = searcher.query_vector("waste sorting"), searcher.query_vector("tri des déchets")
    assert np.allclose(english, kb.encoder.encode_queries(["déchets tri"])[0])
    assert np.allclose(french, kb.encoder.encode_queries(["tri des déchets"])[0])


def test_a_match_by_meaning_shows_the_closest_sentences_not_the_title(kb: KnowledgeBase) -> None:
    hit = kb.search("boosting the self-esteem of trainees", limit=1).hits[0]
    assert hit.sheet.id == "sdat-economie-circulaire-rives-de-saone"
    assert [r.kind for r in hit.reasons] == ["meaning"] and hit.reasons[0].text == "Proche par le sens"
    assert "estime d'eux-mêmes" in hit.snippet.text and hit.snippet.text != hit.sheet.title
    assert not hit.snippet.text.startswith(hit.sheet.sections["actions"][:20])  # not the part's first sentence


def test_fusion_min_max_scales_dense_keeps_nan_apart_and_names_the_first_best_part() -> None:
    from kb.search import _fuse

    nan = float("nan")
    parts = [
        ("a", "title", nan, 0.0),
        ("a", "actions", 0.90, 2.0),
        ("a", "conseils", 0.90, 2.0),
        ("b", "contexte", nan, 4.0),
        ("c", "objectifs", 0.70, 0.0),
    ]
    fused = _fuse(parts, weight=0.5)
    assert list(fused) == ["a", "b", "c"]
    # a: best dense 0.9 is the top of the min-max (0.7..0.9) -> 1; best BM25 2 of max 4 -> 0.5
    assert fused["a"]["score"] == 0.5 * 1.0 + 0.5 * 0.5
    assert fused["a"]["section"] == "actions" and fused["a"]["dense_part"] == "actions"  # first of the tie
    # b: found by words only: no dense score (not a zero that would stretch the min-max)
    assert fused["b"]["dense"] is None and fused["b"]["dense_part"] is None and fused["b"]["score"] == 0.5
    # c: the lowest dense sheet scores 0 by meaning and has no keyword part
    assert fused["c"]["score"] == 0.0 and fused["c"]["keyword_part"] is None


@pytest.mark.parametrize("dense", [[float("nan"), float("nan")], [0.8, 0.8]], ids=["no-dense", "all-equal"])
def test_fusion_without_a_dense_spread(dense: list[float]) -> None:
    """No dense score at all counts 0 by meaning; equal dense scores count 1 each (no spread to scale)."""
    from kb.search import _fuse

    fused = _fuse([("a", "actions", dense[0], 3.0), ("b", "context", dense[1], 0.0)], weight=0.5)
    meaning = 0.0 if dense[0] != dense[0] else 0.5
    assert fused["a"]["score"] == meaning + 0.5 and fused["b"]["score"] == meaning
    assert _fuse([], weight=0.5) == {}


def test_the_share_a_tag_says_weighs_words_by_rarity_and_words_no_sheet_holds_by_half() -> None:
    """« bailleur » names the tag; « claus », common, asks little; « involv », held by no sheet
    (an untranslated word), counts half of its weight."""
    from kb.search import UNHELD_WORD, _tag_cover

    rarity = {"bailleur": 2.0, "claus": 0.5, "involv": 4.0}
    said, held = {"bailleur"}, {"bailleur", "claus"}
    assert _tag_cover({"bailleur", "claus"}, said, held, rarity) == pytest.approx(2.0 / 2.5)
    assert _tag_cover({"bailleur", "involv"}, said, held, rarity) == pytest.approx(2.0 / (2.0 + 4.0 * UNHELD_WORD))
    assert _tag_cover({"involv"}, set(), held, rarity) == 0.0 and _tag_cover(set(), said, held, rarity) == 0.0


def test_a_query_close_by_meaning_to_a_tag_label_gives_its_sheets_that_evidence(kb: KnowledgeBase) -> None:
    """« tag_meaning »: the sheets carrying a tag whose label the query paraphrases (no glossary
    name of it) get evidence the others lack; stored label vectors need no encoding."""
    searcher = kb.searcher()
    query = "élargir les bénéficiaires de la clause à de nouveaux publics"
    hits = searcher.search(query, limit=20).hits
    column = calibration.FEATURES.index("tag_meaning")
    evidence = {h.sheet.id: float(h.features[column]) for h in hits}
    carrying = {h.sheet.id for h in hits if "diversification-publics" in h.sheet.themes}
    assert carrying and min(evidence[s] for s in carrying) > 0
    assert max(v for s, v in evidence.items() if s not in carrying) < min(evidence[s] for s in carrying)
