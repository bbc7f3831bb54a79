"""What is kept of a sheet for explaining hits says what tokenising its texts again would."""

from __future__ import annotations

from kb.knowledge_base import KnowledgeBase
from kb.snippets import analysed_sentences, best_marked, matched_stems, sheet_text
from kb.text import terms

QUERIES = (
    "insertion des jeunes dans les quartiers, emploi durable",
    "heures d'insertion clause sociale marché public",
    "accompagnement des femmes vers l'emploi et la formation",
)


def test_a_sheets_sections_hold_the_stems_their_texts_do(kb: KnowledgeBase) -> None:
    for sheet in kb.store.sheets():
        kept = sheet_text(sheet.id, sheet.sections)
        for query in QUERIES:
            stems = set(terms(query))
            expected = {k: len(matched_stems(v, stems)) for k, v in sheet.sections.items() if v.strip()}
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
