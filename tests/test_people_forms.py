"""The contribution form people finish, and moderation that works from every page (issue 15 §1, §2)."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb import contributions
from tests.test_web_contributions import BASE, csrf, login, post


@pytest.fixture
def client(writable_app: Flask) -> FlaskClient:
    return writable_app.test_client()


def store(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["recueil"].kb.store


def plain(html: str) -> str:
    """The page's text with French spacing (narrow and no-break spaces) read as plain spaces."""
    return html.replace("\u202f", " ").replace("\u00a0", " ")


def field_block(html: str, field_id: str) -> str:
    """The markup of one field's wrapper (label, input, help, counter, message)."""
    start = html.index(f'id="{field_id}-field"')
    return html[start : html.index('<div class="field', start + 1)]


def test_each_message_sits_under_its_field_and_one_summary_links_them_all(client: FlaskClient) -> None:
    html = post(client, {**BASE, "title": "", "contact_email": "non"}, action="apercu").get_data(as_text=True)
    assert html.count('role="alert"') == 1
    summary = html[html.index('id="erreurs"') : html.index("</div>", html.index('id="erreurs"'))]
    assert 'href="#title"' in summary and 'href="#contact_email"' in summary and "2 erreurs" in summary
    assert "autofocus" in html[html.index('<div class="error-summary"') : html.index('id="erreurs"') + 40]
    title = field_block(html, "title")
    assert title.index('id="title"') < title.index('<p class="field-error" id="title-err">Ce champ est obligatoire.')
    assert 'aria-describedby="title-count title-err"' in title


def test_required_and_optional_fields_are_marked_and_boxes_are_not_each_required(client: FlaskClient) -> None:
    html = client.get("/contribuer").get_data(as_text=True)
    for name in ("organisations", "region", "context", "actions", "contact_name", "contact_email", "year"):
        assert "(obligatoire)" in field_block(html, name), name
    for name in ("speakers", "territory", "objectives", "advice", "outlook", "month"):
        assert "(facultatif)" in field_block(html, name), name
    assert 'Thèmes <span class="need">(au moins un)</span>' in html
    assert " required" not in html and "maxlength" not in html  # nothing cut or blocked silently


def test_a_long_title_is_kept_whole_and_the_message_says_its_length(client: FlaskClient) -> None:
    long_title = "Une très longue description " * 11 + "fin"  # 311 characters
    response = post(client, {**BASE, "title": long_title, "context": "x" * 22_100}, action="apercu")
    html = plain(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f"200 caractères au plus ; votre texte en compte {len(long_title)}." in html
    assert "20 000 caractères au plus ; votre texte en compte 22 100." in html
    assert f'value="{long_title}"' in html
    assert 'data-limit="200"' in field_block(html, "title") and "/static/forms.js" in html


def test_the_preview_shows_what_the_sheet_will_show_with_send_beside_it(client: FlaskClient) -> None:
    html = post(client, BASE, action="apercu").get_data(as_text=True)
    preview = html[html.index('id="apercu"') : html.index('id="title-field"')]
    for shown in (
        "Association Exemple",
        "Jeanne DUPONT",
        "Directrice",
        "Nancy (Grand Est)",
        "mars 2023",
        "Repérage et mobilisation des publics",
        "Publics féminins",
        "Marchés de services",
        "Atelier A",
    ):
        assert shown in preview, shown
    assert 'value="envoyer"' in preview  # « Envoyer ma fiche » next to the preview, before the form
    assert "Markdown accepté" not in html and "Mise en forme du texte" in html


def test_a_contributed_sheet_has_its_year_and_month(writable_app: Flask, client: FlaskClient) -> None:
    assert post(client, BASE).status_code == 303
    (sheet,) = store(writable_app).sheets(status="pending")
    assert sheet.date == "2023-03" and sheet.year == 2023
    assert post(client, {**BASE, "month": ""}).status_code == 303
    assert {s.date for s in store(writable_app).sheets(status="pending")} == {"2023-03", "2023"}
    refused = post(client, {**BASE, "year": "23"})
    assert refused.status_code == 400 and "quatre chiffres" in refused.get_data(as_text=True)


@pytest.mark.parametrize("reason", ["expired", "rate"])
def test_a_form_refused_for_any_reason_gives_the_typed_text_back(writable_app: Flask, reason: str) -> None:
    client = writable_app.test_client()
    typed = {**BASE, "context": "Un contexte tapé avec soin, qu'il ne faut pas perdre.", "action": "envoyer"}
    if reason == "expired":
        response = client.post("/contribuer", data={**typed, "csrf_token": "expired-or-forged"})
        assert response.status_code == 400
        assert "Le formulaire a expiré" in response.get_data(as_text=True)
    else:
        writable_app.config["SUBMISSION_RATE_LIMIT"] = "1 per minute"
        post(client, BASE, action="apercu")
        response = client.post("/contribuer", data={**typed, "csrf_token": csrf(client)})
        assert response.status_code == 429 and "Trop de demandes" in response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "Votre texte est conservé ci-dessous." in html
    assert "Un contexte tapé avec soin, qu&#39;il ne faut pas perdre." in html
    assert 'value="Mobiliser les femmes sur les chantiers de nettoyage"' in html
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', html)  # a fresh token to send again


def test_receipt_and_status_read_well(writable_app: Flask, client: FlaskClient) -> None:
    title = "« Chantier ouvert » : les habitants visitent le chantier"
    done = post(client, {**BASE, "title": title})
    receipt = plain(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "« « " not in receipt and "» »" not in receipt
    assert "Et ensuite ?" in receipt and 'class="secondary small copy" data-copy="http' in receipt
    status_url = re.search(r'href="http://localhost(/contribuer/suivi/[^"]+)"', receipt).group(1)  # type: ignore[union-attr]
    status = plain(client.get(status_url).get_data(as_text=True))
    assert re.search(r"envoyée le (1er|\d{1,2}) \w+ 20\d\d", status) and "Prochaine étape" in status


def test_a_contributor_proposes_an_update_of_a_published_sheet(writable_app: Flask, client: FlaskClient) -> None:
    target = "tapaj-c3b-nettoyage-chantiers-jeunes"
    published = store(writable_app).get_sheet(target)
    preview = post(client, BASE, action="apercu").get_data(as_text=True)
    assert "Proposer une mise à jour de cette fiche" in preview
    update = {**BASE, "title": published.title, "outlook": "Étendre le nettoyage à deux nouveaux chantiers."}
    done = post(client, update, action=f"maj:{target}")
    assert done.status_code == 303
    assert "mise à jour de la fiche" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert store(writable_app).get_sheet(target).sections["outlook"] == published.sections["outlook"]  # not yet
    login(client, writable_app)
    queue = client.get("/moderation").get_data(as_text=True)
    assert "Mise à jour proposée d'une fiche publiée" in queue and "Nouvelle fiche" not in queue
    proposal = re.findall(r'href="/moderation/fiches/([^"#]+)"', queue)[0]
    review = client.get(f"/moderation/fiches/{proposal}").get_data(as_text=True)
    changes = review[review.index('id="differences"') : review.index('id="decision"')]
    assert "Perspectives" in changes and "Étendre le nettoyage à deux nouveaux chantiers." in changes
    assert "Structures porteuses" in changes and "Association Exemple" in changes
    token = csrf(client, f"/moderation/fiches/{proposal}")
    assert client.post(f"/moderation/fiches/{proposal}/publier", data={"csrf_token": token}).status_code == 303
    now = store(writable_app).get_sheet(target)
    assert (
        now.sections["outlook"] == "Étendre le nettoyage à deux nouveaux chantiers." and now.source == published.source
    )
    assert store(writable_app).record(proposal).status == contributions.MERGED
    assert "Étendre le nettoyage" in client.get(f"/fiches/{target}").get_data(as_text=True)


MODERATION_PAGES = ["/moderation", "/moderation/publiees", "/moderation/journal", "/moderation/fiches/{pending}"]


@pytest.mark.parametrize("url", MODERATION_PAGES)
def test_logout_works_from_every_moderation_page(writable_app: Flask, client: FlaskClient, url: str) -> None:
    post(client, BASE)
    pending = store(writable_app).sheet_ids(status="pending")[0]
    login(client, writable_app)
    html = client.get(url.format(pending=pending)).get_data(as_text=True)
    nav = html[html.index('class="subnav"') : html.index("</nav>", html.index('class="subnav"'))]
    token = re.search(
        r'<form method="post" action="/moderation/deconnexion"[^>]*><input type="hidden" '
        r'name="csrf_token" value="([^"]+)">',
        nav,
    )
    assert token, nav
    assert token.group(1) not in re.sub(r'value="[^"]*"', "", nav)  # the token is never printed as text
    response = client.post("/moderation/deconnexion", data={"csrf_token": token.group(1)})
    assert response.status_code == 303
    assert client.get("/moderation").status_code == 302  # signed out


def test_no_stale_sign_in_message_after_signing_in(writable_app: Flask, client: FlaskClient) -> None:
    assert client.get("/moderation/journal").status_code == 302  # flashes « Connectez-vous… »
    contributions.add_user(store(writable_app), "alice", "un-mot-de-passe-long")
    token = csrf(client, "/moderation/connexion?next=/moderation/journal")
    response = client.post(
        "/moderation/connexion?next=/moderation/journal",
        data={"name": "alice", "password": "un-mot-de-passe-long", "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/moderation/journal")
    assert "Connectez-vous pour accéder" not in client.get("/moderation/journal").get_data(as_text=True)
    assert "Connectez-vous pour accéder" not in client.get("/moderation").get_data(as_text=True)


def test_merge_needs_a_chosen_sheet_and_a_confirmation(writable_app: Flask, client: FlaskClient) -> None:
    post(client, BASE)
    pending = store(writable_app).sheet_ids(status="pending")[0]
    login(client, writable_app)
    review = client.get(f"/moderation/fiches/{pending}").get_data(as_text=True)
    select = review[
        review.index('<select id="target"') : review.index("</select>", review.index('<select id="target"'))
    ]
    assert "selected" not in select and select.index('value="">Choisir une fiche publiée…') < select.index("optgroup")
    assert '<optgroup label="Doublons possibles">' in select
    token = csrf(client, f"/moderation/fiches/{pending}")
    url = f"/moderation/fiches/{pending}/fusionner"
    none = client.post(url, data={"target": "", "csrf_token": token})
    assert none.status_code == 400 and "Choisissez la fiche publiée" in none.get_data(as_text=True)
    target = "tapaj-c3b-nettoyage-chantiers-jeunes"
    asked = client.post(url, data={"target": target, "csrf_token": token})
    assert asked.status_code == 200 and "Confirmer la fusion" in asked.get_data(as_text=True)
    assert store(writable_app).record(pending).status == "pending"
    done = client.post(url, data={"target": target, "confirm": "1", "csrf_token": token})
    assert done.status_code == 303 and store(writable_app).record(pending).status == contributions.MERGED


def test_save_and_publish_in_one_step_and_a_french_journal(writable_app: Flask, client: FlaskClient) -> None:
    post(client, BASE)
    pending = store(writable_app).sheet_ids(status="pending")[0]
    login(client, writable_app)
    review = client.get(f"/moderation/fiches/{pending}").get_data(as_text=True)
    assert 'name="then" value="publier">Enregistrer et publier</button>' in review
    decision = review[review.index('id="decision"') : review.index('id="modifier"')]
    assert decision.index("Refuser") < decision.index("Motif du refus") or "<h3>Refuser</h3>" in decision
    token = csrf(client, f"/moderation/fiches/{pending}")
    edited = {**BASE, "title": "Titre revu et publié", "then": "publier", "csrf_token": token}
    assert client.post(f"/moderation/fiches/{pending}/modifier", data=edited).status_code == 303
    assert store(writable_app).record(pending).status == "published"
    journal = client.get("/moderation/journal").get_data(as_text=True)
    rows = journal[journal.index("<tbody>") :]
    assert "publiée" in rows and "modifiée" in rows and "envoyée par un·e contributeur·rice" in rows
    assert re.search(r"\d{1,2}(er)? \w+ 20\d\d à \d\d h \d\d", rows)
    assert f'<a href="/moderation/fiches/{pending}">Titre revu et publié</a>' in rows
    assert "Titre" in rows and "edit" not in rows and "publish" not in rows


def test_an_edit_keeps_a_known_day_the_form_does_not_ask_for(writable_app: Flask, client: FlaskClient) -> None:
    login(client, writable_app)
    sheet_id = "tapaj-c3b-nettoyage-chantiers-jeunes"
    assert store(writable_app).get_sheet(sheet_id).date == "2022-05-10"
    review = client.get(f"/moderation/fiches/{sheet_id}").get_data(as_text=True)
    assert '<option selected value="05">mai</option>' in review and 'value="2022"' in review
    token = csrf(client, f"/moderation/fiches/{sheet_id}")
    data = {**BASE, "year": "2022", "month": "05", "csrf_token": token}
    assert client.post(f"/moderation/fiches/{sheet_id}/modifier", data=data).status_code == 303
    assert store(writable_app).get_sheet(sheet_id).date == "2022-05-10"
    data["month"] = "06"
    client.post(f"/moderation/fiches/{sheet_id}/modifier", data=data)
    assert store(writable_app).get_sheet(sheet_id).date == "2022-06"
