"""The facilitator's site in Chromium (issue 14): phone layout, home, a sheet to forward, contact
requests, documents, and axe-core's WCAG 2 A/AA and best-practice rules on every public page.

axe-core is pinned in package.json and installed by `make test` (npm ci); Playwright injects it.
Screenshots are kept in each test's temporary folder.
"""
# ruff: noqa: F811 - the imported fixtures are the tests' arguments

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

# The browser fixtures of test_browser.py, shared: pytest finds fixtures imported into a module.
from tests.test_browser import base_url, browser, page, shot, writable_url  # noqa: F401

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PHONE = {"width": 390, "height": 844}
DIJON = "creativ-dijon-demarche-territoriale"
AGIRE = "agire-reseau-regional-facilitateurs"
PUBLIC_PAGES = [
    "/",
    "/?q=jeunes",
    "/?q=jeunes&public=jeunes",
    "/?q=jeunes&region=Grand+Est",  # empty results
    "/?q=clause&page=99",  # no such page
    "/fiches",
    f"/fiches/{DIJON}",
    f"/fiches/{AGIRE}",
    "/rencontres",
    "/recueil",
    "/recueil?theme=economie-circulaire",
    "/contribuer",
    "/ateliers",
    "/ateliers/planifier?sujet=mobilisation+des+publics&region=Grand+Est",
    "/moderation/connexion",
    "/fiches/n-existe-pas",  # the 404 page
]


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: `make test` installs it (npm ci)")
        pytest.skip("axe-core not installed (make test installs it with npm ci)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(
            AXE.read_text(encoding="utf-8")
        )  # through the DevTools protocol: the page's CSP allows no inline script
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["1280", "390"])
def test_every_public_page_passes_axe_and_fits_a_phone(page, base_url: str, viewport: dict) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(viewport)
    found = {}
    for path in PUBLIC_PAGES:
        page.goto(base_url + path)
        assert page.locator("main").count() == 1 and page.locator("h1").count() >= 1, path
        violations = axe_violations(page)
        if violations:
            found[path] = violations
        # no horizontal scrolling on any page (wide tables scroll inside their own box)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_phone_header_filters_and_folded_facets(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    page.goto(base_url + "/?q=clause&public=jeunes")
    header = page.locator("header.site").bounding_box()
    assert header is not None and header["height"] <= 110  # the name, then six links on two short lines
    toggle = page.locator("details.filters > summary")
    first_card = page.locator("ol.cards > li").first.bounding_box()
    assert toggle.inner_text() == "Filtrer (1)"
    assert toggle.bounding_box()["y"] < first_card["y"] < PHONE["height"]  # results start on the first screen
    assert not page.locator(".facets").is_visible()
    shot(page, "1-phone-results")
    toggle.click()
    assert page.locator(".facets").is_visible()
    assert page.locator('.facet a[data-facet="public"][data-value="jeunes"]').is_visible()
    shot(page, "2-phone-filters-open")
    # on a wide screen the filters stand beside the results, open, without the toggle
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + "/?q=clause")
    assert page.locator(".facets").is_visible() and not toggle.is_visible()
    more = page.locator(".facet details.more").first
    assert more.locator("summary").inner_text().startswith("Voir plus")
    hidden_value = more.locator("a").first
    assert not hidden_value.is_visible()
    more.locator("summary").click()
    assert hidden_value.is_visible()
    shot(page, "3-wide-results")


def test_filters_open_without_javascript(browser, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    tab = context.new_page()
    tab.goto(base_url + "/?q=jeunes")
    assert not tab.locator(".facets").is_visible()
    tab.locator("details.filters > summary").click()
    tab.locator('.facet a[data-facet="region"]').first.click()
    tab.wait_for_url("**region=*")
    assert "Filtrer (1)" in tab.locator("details.filters > summary").inner_text()
    tab.screenshot(path=str(tmp_path / "no-js-filters.png"), full_page=True)
    context.close()


def test_home_page_leads_to_themes_and_sheets(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/")
    assert page.locator("h1").inner_text() == "Recueil des bonnes pratiques de la clause sociale"
    assert "11 pratiques" in page.locator(".stat").inner_text()
    shot(page, "1-home")
    page.get_by_role("link", name="Économie circulaire et réemploi").click()
    page.wait_for_url("**theme=economie-circulaire")
    assert page.locator("h1").inner_text().startswith("3 fiches")
    assert page.locator("ol.cards > li").count() == 3
    page.set_viewport_size(PHONE)
    page.goto(base_url + "/")
    shot(page, "2-home-phone")
    assert page.locator(".latest-list li").count() == 5


def test_sheet_to_forward(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.set_viewport_size(PHONE)
    page.goto(base_url + "/?q=mobiliser+les+publics+f%C3%A9minins&public=femmes")
    page.locator("ol.cards > li h3 a").first.click()
    page.wait_for_url(f"**/fiches/{DIJON}?retour=**")
    summary = page.locator("section.summary")
    box = summary.bounding_box()
    assert box is not None and box["y"] < 844 * 0.6  # « En bref » on the phone's first screen
    assert summary.inner_text().startswith("EN BREF") or summary.inner_text().startswith("En bref")
    assert "Non renseigné" in page.locator(".missing").inner_text()
    shot(page, "1-sheet-phone")
    # share: copy the link (says so), e-mail prefilled in French
    page.get_by_role("button", name="Copier le lien").click()
    # expect() polls from Playwright's own script: a string polled in the page is blocked by the CSP
    expect(page.locator("#copie-statut")).to_contain_text("Lien copié")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/fiches/{DIJON}")
    mail = page.get_by_role("link", name="Envoyer par e-mail").get_attribute("href")
    assert mail and mail.startswith("mailto:?subject=Une%20pratique%20de%20la%20clause%20sociale")
    assert page.get_by_role("button", name="Imprimer").is_visible()
    # back to the same results, query and filter kept
    page.get_by_role("link", name="← Retour aux résultats").click()
    page.wait_for_url("**/?q=mobiliser*public=femmes")
    assert page.locator("ol.cards > li").count() == 1


def test_contact_request_reaches_the_moderators(page, writable_app, writable_url: str) -> None:  # type: ignore[no-untyped-def]
    from kb import contributions

    contributions.add_user(writable_app.extensions["recueil"].kb.store, "alice", "un-mot-de-passe-long")
    page.goto(writable_url + f"/fiches/{AGIRE}")
    page.get_by_text("Écrire une demande").click()
    page.get_by_label("Votre nom").fill("Camille Exemple")
    page.get_by_label("Votre adresse e-mail").fill("pas-une-adresse")
    page.get_by_label("Votre message").fill("Bonjour, je souhaite échanger avec le réseau AGIRE.")
    page.get_by_role("button", name="Envoyer la demande").click()
    assert "Adresse e-mail invalide." in page.locator("#mise-en-relation").inner_text()  # form open, field kept
    assert page.get_by_label("Votre message").input_value().startswith("Bonjour")
    page.get_by_label("Votre adresse e-mail").fill("camille@example.org")
    page.get_by_role("button", name="Envoyer la demande").click()
    assert "votre demande a bien été reçue" in page.locator("#mise-en-relation .flash").inner_text()
    assert "camille@example.org" not in page.content()  # never shown publicly
    shot(page, "1-request-sent")

    page.goto(writable_url + "/moderation/connexion")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("un-mot-de-passe-long")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mises en relation").first.click()
    request = page.locator("li.request")
    assert request.count() == 1 and "camille@example.org" in request.inner_text()
    assert "Le réseau régional des facilitateurs" in request.inner_text()
    shot(page, "2-moderation-list")
    request.get_by_role("button", name="Marquer comme traitée").click()
    assert "marquée comme traitée" in page.locator(".flash").inner_text()
    assert page.locator("li.request").count() == 0 and "par alice" in page.locator("table").inner_text()
    page.get_by_role("link", name="Journal").first.click()
    assert "contact-handled" in page.content() or "mise en relation" in page.content()


def test_sheet_and_compendium_print_and_download(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    page.goto(base_url + "/recueil?theme=economie-circulaire")
    assert page.locator("main").count() == 1 and page.locator("article.fiche").count() == 3
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en PDF (3 fiches)").click()
    path = page.screenshots / "selection.pdf"
    download.value.save_as(path)
    text = " ".join(p.extract_text() for p in PdfReader(str(path)).pages)
    assert "3 fiches pratiques" in text and "Sommaire" in text
    page.emulate_media(media="print")
    assert not page.locator(".document-tools").is_visible() and not page.locator("header.site").is_visible()
    shot(page, "recueil-print")
    page.emulate_media(media="screen")
    page.goto(base_url + f"/fiches/{AGIRE}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en PDF").click()
    assert download.value.suggested_filename == f"{AGIRE}.pdf"
