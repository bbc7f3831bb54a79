"""Real-browser journeys: Playwright drives Debian's Chromium against the app on 127.0.0.1.

Screenshots are saved under each test's temporary folder. Outside CI a missing browser skips
these tests; in CI (CI=true) it fails them, as `make test` installs the browser.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def serve(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def base_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from serve(app)


@pytest.fixture
def writable_url(writable_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield from serve(writable_app)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
        pytest.skip("chromium not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    tab = context.new_page()
    tab.screenshots = tmp_path  # type: ignore[attr-defined]
    yield tab
    context.close()


def text_of(locator) -> str:  # type: ignore[no-untyped-def]
    """Visible text with French typography's no-break spaces as plain spaces."""
    return locator.inner_text().replace("\u00a0", " ").replace("\u202f", " ")


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    path = page.screenshots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_search_facet_sheet_similar_print(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/")
    page.get_by_label("Rechercher une pratique inspirante").fill("mobiliser les publics féminins")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=*")
    first = page.locator("ol.cards > li").first
    assert "Dijon" in first.locator("h3").inner_text()
    assert first.locator("mark").count() >= 1
    assert first.locator(".part").inner_text() in ("TITRE", "Titre", "ACTIONS MENÉES", "Actions menées")
    shot(page, "1-results")

    # apply a facet: only sheets with that public remain, and the filter shows as a removable chip
    page.locator('.facet a[data-facet="public"][data-value="femmes"]').click()
    page.wait_for_url("**public=femmes*")
    assert page.locator("ol.cards > li").count() == 1
    assert "Public\u00a0: Publics féminins" in page.locator(".chips").inner_text()  # French spacing
    shot(page, "2-facet")

    # open the sheet, then follow a similar practice
    page.locator("ol.cards > li h3 a").first.click()
    page.wait_for_url("**/fiches/creativ-dijon-demarche-territoriale?retour=**")  # keeps the way back
    assert page.locator("h1").inner_text().startswith("La démarche du territoire de Dijon")
    headings = page.locator("section.part h2").all_inner_texts()
    assert headings == ["Contexte", "Actions menées"]  # the parts the source leaves empty fold into one line
    assert page.locator(".missing").inner_text() == "Non renseigné\u00a0: Objectifs, Conseils, Perspectives"
    shot(page, "3-sheet")
    similar = page.locator(".similar li a").first
    target = similar.get_attribute("href")
    similar.click()
    page.wait_for_url("**" + str(target))
    assert page.locator("article.sheet h1").count() == 1

    # print preview: the print stylesheet hides navigation and the similar practices
    page.emulate_media(media="print")
    assert page.locator("header.site").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator(".similar").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator("section.part").first.is_visible()
    pdf = page.screenshots / "sheet.pdf"
    page.pdf(path=str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    shot(page, "4-print")


def test_keyboard_and_phone(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base_url + "/?q=jeunes")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    # no horizontal scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "phone")
    page.goto(base_url + "/fiches/tapaj-c3b-nettoyage-chantiers-jeunes")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_pages_work_without_javascript(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "/")
    page.fill("#q", "nettoyage de chantiers par des jeunes")
    page.click("form.search button")
    page.wait_for_url("**/?q=*")
    assert "TAPAJ" in page.locator("ol.cards > li").first.inner_text()
    context.close()


def test_contribute_moderate_publish_search(page, writable_app, writable_url: str) -> None:  # type: ignore[no-untyped-def]
    from kb import contributions

    contributions.add_user(writable_app.extensions["recueil"].kb.store, "alice", "un-mot-de-passe-long")
    page.goto(writable_url + "/")
    page.get_by_role("link", name="Contribuer").click()
    page.get_by_label("Titre de la pratique").fill("Un job-dating inversé pour les femmes des quartiers")
    page.get_by_label("Structure(s) porteuse(s)").fill("Maison de l'emploi exemple")
    page.get_by_label("Région (obligatoire)", exact=True).select_option("Hauts-de-France")
    page.get_by_label("Année de la pratique").fill("2023")
    page.get_by_label("Repérage et mobilisation des publics").check()
    page.get_by_label("Publics féminins", exact=True).check()
    page.get_by_label("Contexte (obligatoire)", exact=True).fill(
        "Les femmes des quartiers prioritaires accèdent peu aux heures d'insertion."
    )
    page.get_by_label("Actions menées (obligatoire)", exact=True).fill(
        "Un **job-dating inversé** : les candidates présentent leurs compétences aux entreprises."
    )
    page.get_by_label("Votre nom").fill("Camille Exemple")
    page.get_by_label("Votre adresse e-mail").fill("camille@example.org")
    page.get_by_label("J'accepte").check()
    page.get_by_role("button", name="Prévisualiser et vérifier les doublons").click()
    assert page.get_by_role("heading", name="Votre pratique est-elle l'une de celles-ci").is_visible()
    assert page.locator(".duplicates li").count() == 3
    shot(page, "1-preview")
    page.get_by_role("button", name="Envoyer ma fiche").click()
    assert "en attente" in page.locator(".notice").inner_text()
    shot(page, "2-receipt")

    page.goto(writable_url + "/moderation")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("un-mot-de-passe-long")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Un job-dating inversé pour les femmes des quartiers").click()
    assert "camille@example.org" in page.locator(".private").inner_text()
    shot(page, "3-review")
    page.get_by_role("button", name="Publier", exact=True).click()
    assert "Fiche publiée" in page.locator(".flash").inner_text()

    page.goto(writable_url + "/?q=job-dating+pour+les+femmes")
    assert "job-dating inversé" in page.locator("ol.cards > li").first.inner_text()
    shot(page, "4-searchable")


def test_recueil_prints_to_pdf(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    page.goto(base_url + "/recueil")
    assert page.locator("article.fiche").count() == 11
    pdf = page.screenshots / "recueil.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=False)
    reader = PdfReader(str(pdf))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert 12 <= len(reader.pages) <= 60, len(reader.pages)
    assert "Recueil de bonnes pratiques de la clause sociale" in text
    assert "Sommaire" in text and "Intermed" in text and "Perspectives" in text


def test_organiser_charts_render(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/ateliers")
    for chart in ("par-themes", "par-region", "par-market_types", "par-annee"):
        svg = page.locator(f"svg#{chart}")
        assert svg.is_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 20
        rows = page.locator(f"#{chart}-table tbody tr").count()
        assert svg.locator("rect").count() == rows
    shot(page, "organisers")
    page.goto(base_url + "/ateliers/planifier?sujet=la+mobilisation+des+publics+f%C3%A9minins&region=Grand+Est")
    assert page.locator("#bloc").input_value().startswith("Atelier A) La mobilisation des publics féminins")
    page.emulate_media(media="print")
    assert page.locator("article.programme").is_visible() and not page.locator("form.planner").is_visible()
    shot(page, "planner-print")


def test_strong_matches_first_then_the_others_apart(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/?q=économie+circulaire")
    heading = text_of(page.locator("h1.count"))
    assert heading.endswith("fiches correspondent à votre recherche") and int(heading.split()[0]) >= 2
    strong = page.locator("ol.cards.strong > li")
    assert strong.count() == int(heading.split()[0])
    assert page.locator("#autres").inner_text() == "Autres fiches qui pourraient vous intéresser"
    weak = page.locator("section.weak ol.cards > li")
    assert weak.count() >= 1
    # the others are visibly secondary: below the strong cards, in smaller titles
    assert weak.first.bounding_box()["y"] > strong.last.bounding_box()["y"]
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    assert weak.first.locator("h3").evaluate(size) < strong.first.locator("h3").evaluate(size)
    shot(page, "strong-weak")


def test_an_offtopic_query_says_nothing_matches_and_offers_themes(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/?q=recette+de+la+pizza")
    box = page.locator(".no-strong")
    assert text_of(box.locator("h1")) == "Aucune fiche ne correspond vraiment à « recette de la pizza »"
    themes = box.locator("li", has_text="Thème proche")
    assert themes.count() >= 1 and "fiche" in themes.first.inner_text()
    assert page.locator("ol.cards.strong").count() == 0
    shot(page, "offtopic")
    themes.first.locator("a").click()
    page.wait_for_url("**theme=*")
    assert page.locator("ol.cards > li").count() >= 1


def test_a_query_naming_a_theme_offers_its_filter(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/?q=ANRU")
    suggestion = page.locator(".filter-suggestion")
    assert text_of(suggestion) == "Filtrer : Renouvellement urbain (ANRU, NPNRU) — 2 fiches"
    first = page.locator("ol.cards > li").first
    assert "Thème : Renouvellement urbain (ANRU, NPNRU)" in text_of(first.locator(".reasons"))
    assert "ANRU → " in text_of(first.locator(".reasons"))
    shot(page, "filter-suggestion")
    suggestion.locator("a").click()
    page.wait_for_url("**theme=renouvellement-urbain*")
    assert page.locator("ol.cards > li").count() == 2


def test_a_card_close_by_meaning_shows_the_closest_sentences(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/?q=boosting+the+self-esteem+of+trainees")
    first = page.locator("ol.cards > li").first
    assert first.locator(".reason.meaning").inner_text() == "Proche par le sens"
    snippet = first.locator(".why").inner_text()
    title = first.locator("h3").inner_text()
    assert "estime d'eux-mêmes" in snippet and title not in snippet
    assert "La SDAT travaille" not in snippet  # not merely the part's first sentence
    shot(page, "meaning")


def test_glossary_page_and_acronyms_explained(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/glossaire")
    assert page.locator("h1").inner_text() == "Glossaire"
    entry = page.locator("#anru")
    assert "Agence nationale pour la rénovation urbaine" in entry.inner_text()
    assert "national agency for urban renewal" in entry.locator(".english").inner_text()
    assert text_of(entry.locator(".source")).startswith("Source : Loi")
    shot(page, "glossary")
    entry.get_by_role("link", name="Rechercher « ANRU » dans les fiches").click()
    page.wait_for_url("**/?q=ANRU")
    assert page.locator("ol.cards > li").count() >= 2
    page.goto(base_url + "/fiches/anar-usine-de-tri-sieen")
    abbr = page.locator("abbr", has_text="PMSMP").first
    assert abbr.get_attribute("title") == "Période de mise en situation en milieu professionnel"
