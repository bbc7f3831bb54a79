"""Passages indexed for the dense side: sections and two-sentence windows of the longer ones."""

from __future__ import annotations

from kb.knowledge_base import KnowledgeBase
from kb.passages import indexed_parts, is_window, part_text, passage_text, section_of, windows
from kb.sheet import Sheet
from kb.snippets import sentences


def test_sentences_split_at_ends_and_list_items_not_inside_numbers() -> None:
    text = "En 2021, plus de 400.000 heures. Deux actions :\n\n- Le Kiosque ;\n- Le Café, etc. Fin."
    assert sentences(text) == [
        "En 2021, plus de 400.000 heures.",
        "Deux actions :",
        "Le Kiosque ;",
        "Le Café, etc.",
        "Fin.",
    ]


def test_windows_only_for_three_sentences_or_more() -> None:
    assert windows("Une phrase. Deux phrases.") == []
    assert windows("Une idée. Deux idées. Trois idées.") == ["Une idée. Deux idées.", "Deux idées. Trois idées."]


def test_indexed_parts_and_their_encoded_text() -> None:
    sheet = Sheet(
        id="x", title="Titre", sections={"context": "Alpha un. Beta deux. Gamma trois.", "objectives": "Seul."}
    )
    parts = indexed_parts(sheet)
    assert list(parts) == ["title", "context", "objectives", "context~0", "context~1"]
    assert is_window("context~1") and section_of("context~1") == "context" and not is_window("context")
    assert passage_text(sheet, "context~1") == "Titre. Contexte : Beta deux. Gamma trois."


def test_part_text_is_the_one_passage_of_indexed_parts(kb: KnowledgeBase) -> None:
    for sheet in kb.store.sheets():
        parts = indexed_parts(sheet)
        assert {key: part_text(sheet, key) for key in parts} == parts
        for missing in ("context~99", "context~x", "nowhere~0", "nowhere"):
            assert part_text(sheet, missing) == ""


def test_windows_are_encoded_but_not_in_the_keyword_index(kb: KnowledgeBase) -> None:
    total, keyword = kb.store.part_count(), kb.store.keyword_part_count()
    expected = sum(len(indexed_parts(s)) for s in kb.store.sheets())
    assert total == expected and keyword == sum(len(s.parts()) for s in kb.store.sheets()) < total
