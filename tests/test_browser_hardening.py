"""What a person sees: every stored word of a contribution is visible to the moderator."""

from __future__ import annotations

import re

import pytest

from kb import contributions
from kb.sheet import SECTIONS, Sheet
from tests.test_browser import browser, page, shot, writable_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
HIDING = {
    "context": "Début visible <style> mot-apres-style caché ensuite",
    "objectives": "<script>mot-dans-script</script> et <textarea> mot-apres-textarea",
    "actions": "Avant <iframe> mot-apres-iframe\n\n<!-- mot-dans-commentaire -->",
    "advice": "<div hidden>mot-dans-div-cachee</div> <noscript>mot-noscript</noscript>",
}


def test_text_after_an_unclosed_tag_stays_visible_to_the_moderator(page, writable_app, writable_url: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    kb = writable_app.extensions["recueil"].kb
    contributions.add_user(kb.store, "alice", "un-mot-de-passe-long")
    sheet = Sheet(
        id="fiche-qui-cache",
        title="Une fiche qui cache du texte",
        organisations=["Structure exemple"],
        region="Grand Est",
        themes=["mobilisation-publics"],
        sections={**dict.fromkeys(SECTIONS, ""), **HIDING},
    )
    contributions.submit(kb, sheet, "Camille", "camille@example.org")
    page.goto(writable_url + "/moderation")
    page.get_by_label("Identifiant").fill("alice")
    page.get_by_label("Mot de passe").fill("un-mot-de-passe-long")
    page.get_by_role("button", name="Se connecter").click()
    page.goto(writable_url + "/moderation/fiches/fiche-qui-cache")
    page.get_by_text("Fiche telle qu'elle sera publiée").click()  # the moderator opens the rendered sheet
    shot(page, "review")
    visible = page.locator("details.current").inner_text()
    for text in HIDING.values():
        for word in re.findall(r"[\w-]+", text):
            assert word in visible, word
    contributions.publish(kb, sheet.id, "alice")
    page.goto(writable_url + "/fiches/fiche-qui-cache")
    public = page.locator("main").inner_text()
    assert all(word in public for text in HIDING.values() for word in re.findall(r"[\w-]+", text))
