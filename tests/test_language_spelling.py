"""Query language (French unless clearly another language) and spelling from the corpus's words."""

from __future__ import annotations

import pytest

from kb.knowledge_base import KnowledgeBase
from kb.language import detect_language


@pytest.mark.parametrize(
    ("query", "known", "expected"),
    [
        ("insertoin jeunes", {"jeunes"}, "fr"),  # a typo does not make French English
        ("mobilising women", set(), "en"),
        ("Kreislaufwirtschaft und berufliche Eingliederung", set(), "de"),
        ("economía circular e inserción laboral", set(), "es"),
        ("recette de la pizza", set(), "fr"),
        ("ANRU", {"anru"}, "fr"),
        ("ANRU social housing", {"anru", "social"}, "fr"),  # a tie: the corpus's language wins
    ],
)
def test_detect_language(query: str, known: set[str], expected: str) -> None:
    assert detect_language(query, known) == expected


def test_spelling_comes_from_the_corpus(kb: KnowledgeBase) -> None:
    speller = kb.searcher().spelling
    assert speller.correct("insertoin jeunes") == "insertion jeunes"
    assert speller.correct("econnomie circulaire") == "économie circulaire"
    assert speller.correct("recette de la pizza") is None  # no corpus word within reach
    assert speller.correct("QPV") is None and speller.correct("zzzz") is None
