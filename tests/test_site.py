"""The facilitator's site (issue 14): French formatting, home page, sheet page, documents."""

from __future__ import annotations

from kb.french import NBSP


def test_french_spacing_on_pages_never_in_downloads(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/fiches/creativ-dijon-demarche-territoriale").get_data(as_text=True)
    assert f"Lien permanent{NBSP}:" in page
    markdown = client.get("/fiches/creativ-dijon-demarche-territoriale.md").get_data(as_text=True)
    exported = client.get("/fiches/creativ-dijon-demarche-territoriale.json").get_data(as_text=True)
    for text in (markdown, exported):
        assert NBSP not in text and "\u202f" not in text
