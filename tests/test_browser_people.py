"""What contributors, moderators and organisers see in Chromium (issue 15): the form's messages
by their fields, counters, logout from every moderation page, the edited programme in print,
wrapped chart labels. Screenshots at 1280 and 390 px go to each test's temporary folder."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kb import contributions
from tests.test_browser import base_url, browser, page, shot, writable_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_form_errors_sit_under_their_fields_and_the_summary_takes_the_focus(page, base_url: str) -> None:  # noqa: F811
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base_url + "/contribuer")
        page.get_by_label("Structure(s) porteuse(s)").fill("Maison de l'emploi exemple")
        page.get_by_role("button", name="Prévisualiser et vérifier les doublons").click()
        page.wait_for_load_state()
        assert page.evaluate("document.activeElement.id") == "erreurs"
        summary = page.locator("#erreurs")
        assert summary.get_attribute("role") == "alert" and page.locator("[role=alert]").count() == 1
        field, error = page.locator("#title").bounding_box(), page.locator("#title-err").bounding_box()
        assert field and error and 0 <= error["y"] - (field["y"] + field["height"]) < 40  # right under it
        assert abs(error["x"] - field["x"]) < 4  # aligned with it, not centred
        summary.get_by_role("link", name=re.compile("Titre de la pratique")).click()
        assert page.evaluate("location.hash") == "#title"
        assert page.get_by_label("Structure(s) porteuse(s)").input_value() == "Maison de l'emploi exemple"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, f"form-errors-{width}")


def test_a_pasted_long_title_is_counted_not_cut(page, base_url: str) -> None:  # noqa: F811
    page.goto(base_url + "/contribuer")
    long_title = "Une très longue description " * 11 + "fin"
    title = page.get_by_label("Titre de la pratique")
    title.fill(long_title)
    assert title.input_value() == long_title
    counter = page.locator("#title-count").inner_text().replace("\u202f", " ").replace("\u00a0", " ")
    assert counter.startswith(f"200 caractères au plus ; votre texte en compte {len(long_title)}")
    title.fill("Court")
    assert page.locator("#title-count").inner_text().replace("\u202f", " ") == "5 / 200 caractères"
    shot(page, "counter")


def test_logout_from_every_moderation_page(page, writable_app, writable_url: str) -> None:  # noqa: F811
    store = writable_app.extensions["recueil"].kb.store
    contributions.add_user(store, "alice", "un-mot-de-passe-long")
    sheet = store.get_sheet("tapaj-c3b-nettoyage-chantiers-jeunes")
    sheet.id, sheet.title = "proposition-en-attente", "Une proposition en attente"
    writable_app.extensions["recueil"].kb.save_sheet(sheet, status="pending", origin="web")
    pages = ["/moderation", "/moderation/publiees", "/moderation/journal", "/moderation/fiches/proposition-en-attente"]
    for url in pages:
        page.goto(writable_url + url)
        page.get_by_label("Identifiant").fill("alice")
        page.get_by_label("Mot de passe").fill("un-mot-de-passe-long")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**" + url)
        assert page.locator(".flash").count() == 0  # no stale « Connectez-vous… »
        nav = page.locator("nav.subnav").inner_text()
        assert not re.search(r"[A-Za-z0-9_-]{40,}", nav)  # no raw token printed
        shot(page, "moderation-" + url.strip("/").replace("/", "-"))
        page.get_by_role("button", name=re.compile("Se déconnecter")).click()
        page.wait_for_url(writable_url + "/")
        assert "Demande refusée" not in page.content()
        page.goto(writable_url + "/moderation")
        assert "/moderation/connexion" in page.url, url


def test_what_prints_is_the_edited_programme(page, base_url: str) -> None:  # noqa: F811
    page.goto(base_url + "/ateliers/planifier?sujet=la+mobilisation+des+publics+f%C3%A9minins&region=Grand+Est")
    block = page.locator("#bloc")
    block.fill("Atelier D) Les femmes et les chantiers\n\nJeanne DUPONT, Directrice, Association Exemple\n")
    page.get_by_role("button", name="Mettre à jour l'aperçu").click()
    page.wait_for_load_state()
    assert page.locator("#bloc").input_value().startswith("Atelier D) Les femmes et les chantiers")
    page.emulate_media(media="print")
    programme = page.locator("article.programme")
    assert programme.is_visible() and not page.locator("form.planner").is_visible()
    assert not page.locator(".proposals").is_visible() and not page.locator("#bloc").is_visible()
    text = programme.inner_text()
    assert "Atelier D" in text and "Les femmes et les chantiers" in text and "Jeanne DUPONT" in text
    assert programme.locator("h1").evaluate("e => getComputedStyle(e).fontFamily") != "Georgia"
    shot(page, "planner-print-edited")


def test_chart_labels_wrap_and_the_numbers_fold(page, base_url: str) -> None:  # noqa: F811
    page.goto(base_url + "/ateliers")
    svg = page.locator("svg#par-themes")
    labels = svg.locator("text[text-anchor=end]").all_text_contents()
    assert labels and not any("…" in label for label in labels)
    assert svg.locator("text[text-anchor=end]:has(tspan + tspan)").count() >= 1  # a long label on two lines
    assert not page.locator("#par-themes-table").is_visible()
    page.locator("#graphiques details").first.locator("summary").click()
    assert page.locator("#par-themes-table").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "charts-390")


def test_the_receipt_copies_the_private_link(browser, writable_app, writable_url: str) -> None:  # noqa: F811
    from kb.sheet import Sheet

    kb = writable_app.extensions["recueil"].kb
    draft = Sheet(id="une-fiche-envoyee", title="« Chantier ouvert » : les habitants visitent le chantier")
    draft.sections["context"] = "Les habitants découvrent le chantier de leur quartier."
    token = contributions.submit(kb, draft, "Camille Exemple", "camille@example.org")
    context = browser.new_context(locale="fr-FR", permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.goto(f"{writable_url}/contribuer/merci/{token}")
    assert "« « " not in tab.locator(".notice").inner_text()
    tab.get_by_role("button", name="Copier le lien").click()
    # expect() polls from Playwright's own script: a string polled in the page is blocked by the CSP
    expect(tab.locator(".copied")).to_have_text("Lien copié.")
    assert tab.evaluate("navigator.clipboard.readText()").endswith(f"/contribuer/suivi/{token}")
    context.close()
