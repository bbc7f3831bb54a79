"""Query language (French unless clearly another language) and spelling from the corpus's words."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from kb.knowledge_base import KnowledgeBase
from kb.language import content_terms, detect_language
from kb.spelling import Speller, WordKeeper, dictionary_words
from kb.text import terms
from tests.helpers import KbFactory


@pytest.mark.parametrize(
    ("query", "known", "expected"),
    [
        ("insertoin jeunes", {"jeunes"}, "fr"),  # a typo does not make French English
        ("mobilising women", set(), "en"),
        ("Kreislaufwirtschaft und berufliche Eingliederung", set(), "de"),
        ("economía circular e inserción laboral", set(), "es"),
        ("recette de la pizza", set(), "fr"),
        ("ANRU", {"anru"}, "fr"),
        ("ANRU housing", {"anru", "housing"}, "fr"),  # a tie: the corpus's language wins
        # words only an English dictionary holds, unknown to the corpus, say English
        ("ANRU social housing", {"anru", "social"}, "en"),
        ("several integration structures answering a public tender", {"integration", "structures", "public"}, "en"),
        ("sourcing des structures inclusives", {"sourcing", "structures", "des"}, "fr"),  # the corpus's own word
    ],
)
def test_detect_language(query: str, known: set[str], expected: str) -> None:
    assert detect_language(query, known) == expected


def test_content_terms_leave_out_function_words_of_every_language_read() -> None:
    assert content_terms("how do other cities involve social landlords?") == terms(
        "other cities involve social landlords"
    )
    assert content_terms("Zusammenarbeit mit den Vermietern") == terms("Zusammenarbeit Vermietern")
    assert content_terms("colaboración con las empresas") == terms("colaboración empresas")
    assert content_terms("emploi des femmes") == terms("emploi des femmes")  # French: ``terms`` already


def test_spelling_comes_from_the_corpus(kb: KnowledgeBase) -> None:
    speller = kb.searcher().spelling
    assert speller.correct("insertoin jeunes") == "insertion jeunes"
    assert speller.correct("econnomie circulaire") == "économie circulaire"
    assert speller.correct("recette de la pizza") is None  # no corpus word within reach
    assert speller.correct("QPV") is None and speller.correct("zzzz") is None


def test_spelling_leaves_real_words_alone(kb: KnowledgeBase) -> None:
    """Only typos are corrected: not another form of a corpus word, nor a French or English
    word the sheets happen not to use (each of these was once « corrected » into a corpus word)."""
    speller = kb.searcher().spelling
    assert speller.correct("aller vers les locataires du parc social") is None  # not « par sociale »
    assert speller.correct("jeunes diplômés recrutés en alternance") is None  # forms of « diplômé », « recruté »
    assert speller.correct("comment réparer la chaîne de mon vélo") is None  # not « repérer »
    assert speller.correct("des marchés d'architecture") is None  # the elided article is not the word
    assert speller.correct("fix a flat bike tyre") is None  # English, not « type »
    assert speller.correct("facilitatrise bailleur") == "facilitatrice bailleur"


def test_a_french_query_of_the_corpus_words_reads_no_dictionary() -> None:
    dictionary_words.cache_clear()
    assert detect_language("mobiliser les publics féminins", {"mobiliser", "publics", "feminins"}) == "fr"
    assert dictionary_words.loaded == 0  # 50 MB and 0.4 s, only for a query that may be English
    assert detect_language("tender together", set()) == "en" and dictionary_words.loaded


def test_the_spelling_words_are_shared_and_follow_the_corpus(make_kb: KbFactory, practices_copy: Path) -> None:
    """One ``CorpusWords`` per process for every thread's speller; after a change, the words of
    the version before answer at once while a thread reads the new ones."""
    kb = make_kb(practices=practices_copy)
    mine = kb.searcher().spelling
    theirs: list[Speller] = []
    worker = threading.Thread(target=lambda: theirs.append(kb.searcher().spelling))
    worker.start()
    worker.join()
    assert theirs[0] is not mine and theirs[0].store is not mine.store  # its own connection
    before = mine.words.current(mine.store)
    assert theirs[0].words.current(theirs[0].store) is before
    assert mine.correct("zebulonerie du quartier") is None  # no corpus word within reach yet
    sheet = kb.store.get_sheet("intermed-groupement-associations-intermediaires")
    assert sheet is not None
    context = sheet.sections["context"] + " La zébulonnerie du quartier."
    kb.save_sheet(replace(sheet, sections={**sheet.sections, "context": context}), status="published", origin="edit")
    assert mine.correct("zebulonerie du quartier") is None  # the words before, while the new ones are read
    kb.words.wait()
    assert mine.words.current(mine.store) is not before
    assert mine.correct("zebulonerie du quartier") == "zébulonnerie du quartier"


def test_a_search_suggests_a_word_another_connection_adds(make_kb: KbFactory, practices_copy: Path) -> None:
    """A search passes the corpus version it read to the speller: an edit committed by another
    connection (the writer; searches read through their own) reaches the suggestions."""
    kb = make_kb(practices=practices_copy)
    assert kb.search("zebulonerie du quartier").suggestion is None
    sheet = kb.store.get_sheet("intermed-groupement-associations-intermediaires")
    assert sheet is not None
    context = sheet.sections["context"] + " La zébulonnerie du quartier."
    kb.save_sheet(replace(sheet, sections={**sheet.sections, "context": context}), status="published", origin="edit")
    kb.search("zebulonerie du quartier")  # the words before answer while the new ones are read
    kb.words.wait()
    assert kb.search("zebulonerie du quartier").suggestion == "zébulonnerie du quartier"


def test_a_serving_process_reads_the_words_as_it_starts(kb: KnowledgeBase) -> None:
    from web import create_app

    dictionary_words.cache_clear()
    app = create_app({"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests", "WARM_UP": True})
    warm_up = app.extensions["recueil"].warm_up
    assert warm_up is not None
    warm_up.join()
    assert dictionary_words.loaded == 2  # French and English, before any query
    assert kb.words.current(kb.reader()).counts["insertion"] > 0


def test_a_failed_reading_of_the_words_is_not_started_again_by_every_query(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reading in the background that keeps nothing (it failed: the base moved away, a newer
    schema) is tried once per corpus version, not in a new thread at every query meanwhile."""
    keeper = WordKeeper(kb.store.path)
    store = kb.reader()
    version = store.vectors_version
    before = keeper.current(store, version)
    started: list[int] = []
    monkeypatch.setattr(keeper, "_read_apart", lambda: started.append(1))
    for _ in range(3):
        assert keeper.current(store, version + 1) is before  # the words before keep answering
        keeper.wait()
    assert len(started) == 1
    keeper.current(store, version + 2)
    keeper.wait()
    assert len(started) == 2
