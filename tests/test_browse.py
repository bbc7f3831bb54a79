"""/fiches pages and sorts in SQL: every sheet is reachable, whatever their number, and the total
agrees with the facets' counts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kb.knowledge_base import KnowledgeBase
from kb.sheet import SECTIONS, Sheet
from tests.helpers import CountingEncoder

COUNT = 1_005  # more than the 1,000 results a search returns at most


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    from web import create_app

    kb = KnowledgeBase(Path(tmp_path_factory.mktemp("many")), encoder=CountingEncoder())  # type: ignore[arg-type]
    with kb.store.transaction():
        for n in range(COUNT):
            region = "Bretagne" if n % 2 else "Occitanie"
            sections = {**dict.fromkeys(SECTIONS, ""), "context": f"Texte {n}."}
            kb.store.save_sheet(Sheet(id=f"f-{n:04d}", title=f"Fiche {n:04d}", region=region, sections=sections))
    kb.update_vectors()
    yield create_app({"KNOWLEDGE_BASE": kb, "TESTING": True, "SECRET_KEY": "tests", "PAGE_SIZE": 100}).test_client()
    kb.close()


def ids(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/fiches/([^"]+)">', html)


def count(html: str) -> int:
    return int(re.search(r'<h2 class="count">(\d+) fiche', html).group(1))  # type: ignore[union-attr]


def test_the_last_page_holds_the_last_sheets(many: FlaskClient) -> None:
    html = many.get("/fiches?page=11").get_data(as_text=True)
    assert count(html) == COUNT
    assert ids(html) == [f"f-{n:04d}" for n in range(1000, COUNT)]
    assert ids(many.get("/fiches?ordre=desc").get_data(as_text=True))[:2] == ["f-1004", "f-1003"]


def test_a_filter_pages_and_counts_like_its_facet(many: FlaskClient) -> None:
    html = many.get("/fiches").get_data(as_text=True)
    facet = re.search(r"Occitanie\s*</span>\s*<span[^>]*>(\d+)|Occitanie\D{0,80}?(\d+)", html)
    assert facet is not None and int(facet.group(1) or facet.group(2)) == 503
    filtered = many.get("/fiches?region=Occitanie&page=6").get_data(as_text=True)
    assert count(filtered) == 503
    assert ids(filtered) == [f"f-{n:04d}" for n in range(1000, COUNT, 2)]  # 500 before: 5 pages of 100
