"""The held-out evaluation sets stay usable as the sheets change: every query has a relevant sheet,
every marker still points at a sheet, every tag names a vocabulary key that some sheet carries."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.evaluate import read_queries, relevant_ids
from kb.markdown_io import dump_sheet, load_directory
from kb.vocabulary import FACETS, vocabulary
from tests.helpers import PRACTICES

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("heldout_realistic.tsv", 48),
        ("validation_realistic.tsv", 60),
        ("validation3_realistic.tsv", 70),
        ("validation4_realistic.tsv", 60),
        ("validation5_realistic.tsv", 40),
    ],
)
def test_realistic_queries_point_at_sheets_through_every_marker(name: str, count: int) -> None:
    sheets = load_directory(PRACTICES).sheets
    texts = {s.id: dump_sheet(s).casefold() for s in sheets}
    queries = read_queries(DATA / name)
    assert len(queries) >= count and {q.lang for q in queries} == {"fr", "en", "de", "es"}
    for query in queries:
        assert relevant_ids(sheets, query, texts), query.query
        for marker in query.markers:
            assert any(marker.casefold() in text for text in texts.values()), (query.query, marker)


@pytest.mark.parametrize("name", ["heldout_offtopic.tsv", "validation3_offtopic.tsv", "validation4_offtopic.tsv"])
def test_offtopic_queries_are_language_and_query(name: str) -> None:
    rows = _rows(name)
    assert len(rows) >= 24 and all(len(r) == 2 and r[0] in ("fr", "en", "de", "es") and r[1] for r in rows)


@pytest.mark.parametrize("name", ["heldout_tags.tsv", "validation3_tags.tsv", "validation4_tags.tsv"])
def test_tag_queries_name_keys_that_sheets_carry(name: str) -> None:
    sheets = load_directory(PRACTICES).sheets
    terms = vocabulary().terms
    rows = _rows(name)
    assert len(rows) >= 16 and all(len(r) == 3 for r in rows)
    for _, query, tag in rows:
        facet = next((f for f in FACETS if tag in terms[f]), None)
        assert facet is not None, (query, tag)
        assert any(tag in getattr(s, facet) for s in sheets), (query, tag)
