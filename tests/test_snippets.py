"""What is kept of a sheet for explaining hits says what tokenising its texts again would."""

from __future__ import annotations

from collections.abc import Collection

from kb.knowledge_base import KnowledgeBase
from kb.snippets import Snippet, _stem_of, _stems, _tokens, analysed_sentences, best_marked, make_snippet, sheet_text
from kb.text import terms

QUERIES = (
    "insertion des jeunes dans les quartiers, emploi durable",
    "heures d'insertion clause sociale marché public",
    "accompagnement des femmes vers l'emploi et la formation",
)


# Oracles: what search once computed the long way, against which its kept analyses are checked.
def matched_stems(text: str, query_stems: Collection[str]) -> frozenset[str]:
    """Which of the query's stems a text holds."""
    return _stems(text).intersection(query_stems)


def marked_stems(snippet: Snippet) -> set[str]:
    """The stems of a snippet's marked words: which of its query's stems it holds."""
    return {_stem_of(word) for word in snippet.matched}


def best_sentences(markdown_text: str, query_stems: Collection[str], max_words: int = 45) -> Snippet:
    """The snippet of the sentences of a text that best show a query's words."""
    return best_marked(analysed_sentences(markdown_text), query_stems, max_words).snippet


def test_a_sheets_sections_hold_the_stems_the_snippet_tokeniser_marks(kb: KnowledgeBase) -> None:
    """The stems kept per section are those ``_tokens`` (which marks snippets) finds in it."""
    for sheet in kb.store.sheets():
        kept = sheet_text(sheet.id, sheet.sections)
        marked = {k: frozenset(_tokens(v)[3]) for k, v in sheet.sections.items() if v.strip()}
        assert kept.stems == marked
        for query in QUERIES:
            stems = set(terms(query))
            expected = {k: len(v & stems) for k, v in marked.items()}
            assert {k: len(v.intersection(stems)) for k, v in kept.stems.items()} == expected


def test_a_sheet_whose_sections_change_is_analysed_again(kb: KnowledgeBase) -> None:
    sheet = next(iter(kb.store.sheets()))
    kept = sheet_text(sheet.id, sheet.sections)
    assert sheet_text(sheet.id, dict(sheet.sections)) is kept  # equal texts: the same analysis
    changed = {**sheet.sections, "context": "Un chantier de nettoyage des berges."}
    again = sheet_text(sheet.id, changed)
    assert again is not kept and {"nettoyag", "berg"} <= again.stems["context"]
    assert "berg" not in kept.stems.get("context", ())


def test_best_marked_marks_every_query_word_of_its_snippet_with_its_stem(kb: KnowledgeBase) -> None:
    """The marks explain reads (word, stem) are the snippet's marked words, in order, and their
    stems are the query stems the snippet holds, cut (8 words) or not."""
    for sheet in kb.store.sheets():
        for text in sheet.sections.values():
            for query in QUERIES:
                stems = set(terms(query))
                for width in (45, 8):
                    snippet, marks = best_marked(analysed_sentences(text), stems, width)
                    assert [word for word, _ in marks] == [t for t, marked in snippet.segments if marked]
                    assert {stem for _, stem in marks} == matched_stems(snippet.text, stems)


def test_a_snippets_marked_stems_are_the_query_stems_it_holds(kb: KnowledgeBase) -> None:
    stems = set(terms(QUERIES[0]))
    for sheet in kb.store.sheets():
        for text in sheet.sections.values():
            for snippet in (make_snippet(text, stems), best_sentences(text, stems), make_snippet(text, stems, 8)):
                assert marked_stems(snippet) == matched_stems(snippet.text, stems)
