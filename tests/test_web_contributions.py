"""The survey form and moderation through the web: CSRF, validation, limits, access, privacy."""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb import contributions
from tests.inert import active_content

BASE = {
    "title": "Mobiliser les femmes sur les chantiers de nettoyage",
    "organisations": "Association Exemple\nMairie de Nancy",
    "speakers": "Jeanne DUPONT, Directrice, Association Exemple",
    "region": "Grand Est",
    "territory": "Nancy",
    "year": "2023",
    "month": "03",
    "themes": ["mobilisation-publics"],
    "publics": ["femmes"],
    "market_types": ["services"],
    "workshop": "grand-est-2022/atelier-a",
    "context": "Peu de femmes bénéficient de la clause sociale sur le territoire.",
    "actions": "Des réunions d'information pour les **publics féminins** dans les quartiers.",
    "contact_name": "Jeanne Dupont",
    "contact_email": "jeanne.dupont@example.org",
    "consent": "y",
}


def csrf(client: FlaskClient, url: str = "/contribuer") -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def post(client: FlaskClient, data: dict, action: str = "envoyer", url: str = "/contribuer"):  # type: ignore[no-untyped-def]
    return client.post(url, data={**data, "action": action, "csrf_token": csrf(client)})


def login(client: FlaskClient, app: Flask, name: str = "alice", password: str = "un-mot-de-passe-long") -> None:
    store = app.extensions["recueil"].kb.store
    if not contributions.user_exists(store, name):
        contributions.add_user(store, name, password)
    token = csrf(client, "/moderation/connexion")
    response = client.post("/moderation/connexion", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 303


@pytest.fixture
def client(writable_app: Flask) -> FlaskClient:
    return writable_app.test_client()


def test_form_preview_shows_the_closest_sheets_then_submit_gives_a_private_link(client: FlaskClient) -> None:
    preview = post(client, BASE, action="apercu")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Votre pratique est-elle l'une de celles-ci" in html
    assert html.count('target="_blank" rel="noopener"') == 3
    assert "<strong>publics féminins</strong>" in html  # the Markdown preview
    assert 'value="envoyer"' in html
    done = post(client, BASE)
    assert done.status_code == 303
    receipt = client.get(done.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(http://localhost/contribuer/suivi/[^"]+)"', receipt)
    assert link and "en attente" in receipt
    assert "en attente" in client.get(link.group(1)).get_data(as_text=True)


def test_validation_messages_are_french_and_the_form_keeps_what_was_typed(client: FlaskClient) -> None:
    data = {**BASE, "title": "", "contact_email": "pas-une-adresse", "consent": "", "context": "x" * 20_001}
    response = post(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in html and "Adresse e-mail invalide." in html
    text = html.replace("\u202f", " ")  # French spacing: narrow no-break spaces
    assert "Votre accord est nécessaire" in html and "20 000 caractères au plus ; votre texte en compte 20 001." in text
    assert "Association Exemple" in html and 'value="pas-une-adresse"' in html  # kept


def test_csrf_is_required(client: FlaskClient) -> None:
    response = client.post("/contribuer", data={**BASE, "action": "envoyer"})
    assert response.status_code == 400 and "Le formulaire a expiré" in response.get_data(as_text=True)


def test_submissions_are_rate_limited(writable_app: Flask) -> None:
    writable_app.config["SUBMISSION_RATE_LIMIT"] = "2 per minute"
    client = writable_app.test_client()
    assert post(client, BASE, action="apercu").status_code == 200
    assert post(client, BASE, action="apercu").status_code == 200
    third = post(client, BASE, action="apercu")
    assert third.status_code == 429 and "Trop de demandes" in third.get_data(as_text=True)


def test_requests_over_the_size_limit_are_refused(client: FlaskClient) -> None:
    response = client.post("/contribuer", data={**BASE, "context": "x" * 600_000})
    assert response.status_code == 413 and "trop volumineuse" in response.get_data(as_text=True)


def test_pending_sheets_are_invisible_to_the_public(writable_app: Flask, client: FlaskClient) -> None:
    post(client, BASE)
    store = writable_app.extensions["recueil"].kb.store
    (sheet_id,) = store.sheet_ids(status="pending")
    assert client.get(f"/fiches/{sheet_id}").status_code == 404
    assert client.get(f"/api/practices/{sheet_id}").status_code == 404
    assert sheet_id not in client.get("/api/search?q=femmes+chantiers+nettoyage&limit=100").get_data(as_text=True)
    assert sheet_id not in client.get("/fiches?page=1").get_data(as_text=True)


def test_every_moderation_route_is_closed_to_the_anonymous(writable_app: Flask, client: FlaskClient) -> None:
    post(client, BASE)
    sheet_id = writable_app.extensions["recueil"].kb.store.sheet_ids(status="pending")[0]
    rules = [
        r
        for r in writable_app.url_map.iter_rules()
        if r.rule.startswith("/moderation") and r.endpoint != "moderation.login"
    ]
    assert len(rules) >= 8
    for rule in rules:
        url = rule.rule.replace("<sheet_id>", sheet_id).replace("<int:request_id>", "1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:  # type: ignore[operator]
            response = client.open(url, method=method, data={"csrf_token": csrf(client)})
            assert response.status_code in (302, 401), (method, url, response.status_code)
            assert "jeanne.dupont@example.org" not in response.get_data(as_text=True)
    assert writable_app.extensions["recueil"].kb.store.record(sheet_id).status == "pending"


def test_login_does_not_reveal_whether_an_account_exists(writable_app: Flask, client: FlaskClient) -> None:
    contributions.add_user(writable_app.extensions["recueil"].kb.store, "alice", "un-mot-de-passe-long")
    answers = []
    for name in ("alice", "personne"):
        response = client.post(
            "/moderation/connexion",
            data={"name": name, "password": "faux", "csrf_token": csrf(client, "/moderation/connexion")},
        )
        answers.append((response.status_code, re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))))
    assert answers[0] == answers[1] and answers[0][0] == 401


def test_moderator_reviews_edits_and_publishes(writable_app: Flask, client: FlaskClient) -> None:
    post(client, BASE)
    login(client, writable_app)
    queue = client.get("/moderation").get_data(as_text=True)
    sheet_id = re.findall(r'href="/moderation/fiches/([^"]+)"', queue)[0]
    review = client.get(f"/moderation/fiches/{sheet_id}").get_data(as_text=True)
    assert "jeanne.dupont@example.org" in review  # moderators see the contact
    assert "Doublons possibles" in review
    token = csrf(client, f"/moderation/fiches/{sheet_id}")
    edited = {**BASE, "title": "Titre revu par la modération", "csrf_token": token}
    assert client.post(f"/moderation/fiches/{sheet_id}/modifier", data=edited).status_code == 303
    assert client.post(f"/moderation/fiches/{sheet_id}/publier", data={"csrf_token": token}).status_code == 303
    page = client.get(f"/fiches/{sheet_id}").get_data(as_text=True)
    assert "Titre revu par la modération" in page
    assert "jeanne.dupont@example.org" not in page and "Jeanne Dupont" not in page
    assert client.get("/?q=Titre+revu+par+la+mod%C3%A9ration").get_data(as_text=True).count(sheet_id) >= 1
    journal = client.get("/moderation/journal").get_data(as_text=True)
    assert "publiée" in journal and "modifiée" in journal and "Titre" in journal
    assert client.post(f"/moderation/fiches/{sheet_id}/depublier", data={"csrf_token": token}).status_code == 303
    assert client.get(f"/fiches/{sheet_id}").status_code == 404


def test_reject_needs_a_reason_and_tells_the_contributor(writable_app: Flask, client: FlaskClient) -> None:
    done = post(client, BASE)
    receipt = client.get(done.headers["Location"]).get_data(as_text=True)
    status_url = re.search(r'href="http://localhost(/contribuer/suivi/[^"]+)"', receipt).group(1)  # type: ignore[union-attr]
    login(client, writable_app)
    sheet_id = writable_app.extensions["recueil"].kb.store.sheet_ids(status="pending")[0]
    token = csrf(client, f"/moderation/fiches/{sheet_id}")
    assert (
        client.post(f"/moderation/fiches/{sheet_id}/refuser", data={"reason": "", "csrf_token": token}).status_code
        == 400
    )
    asked = client.post(f"/moderation/fiches/{sheet_id}/refuser", data={"reason": "Doublon", "csrf_token": token})
    assert asked.status_code == 200 and "Confirmer le refus" in asked.get_data(as_text=True)
    assert writable_app.extensions["recueil"].kb.store.record(sheet_id).status == "pending"  # not yet
    confirmed = {"reason": "Doublon", "confirm": "1", "csrf_token": token}
    assert client.post(f"/moderation/fiches/{sheet_id}/refuser", data=confirmed).status_code == 303
    status = client.get(status_url).get_data(as_text=True)
    assert "refusée" in status and "Doublon" in status


DATE = ("year", "month")
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"


def test_hostile_content_in_every_field_is_inert(writable_app: Flask, client: FlaskClient) -> None:
    data = {
        k: (
            v
            if k in ("region", "themes", "publics", "market_types", "workshop", "consent", "contact_email", *DATE)
            else HOSTILE
        )
        for k, v in BASE.items()
    }
    assert post(client, data, action="apercu").status_code == 200
    assert post(client, data).status_code == 303
    login(client, writable_app)
    sheet_id = writable_app.extensions["recueil"].kb.store.sheet_ids(status="pending")[0]
    token = csrf(client, f"/moderation/fiches/{sheet_id}")
    client.post(f"/moderation/fiches/{sheet_id}/publier", data={"csrf_token": token})
    for url in (
        f"/fiches/{sheet_id}",
        "/?q=alert",
        f"/moderation/fiches/{sheet_id}",
        "/moderation/journal",
        "/recueil",
        "/rencontres",
    ):
        html = client.get(url).get_data(as_text=True)
        assert active_content(html) == [], url


def test_concurrent_submissions_are_all_kept(writable_app: Flask) -> None:
    results: list[int] = []

    def submit(n: int) -> None:
        client = writable_app.test_client()
        results.append(post(client, {**BASE, "title": f"Contribution simultanée {n}"}).status_code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [303] * 6
    titles = {s.title for s in writable_app.extensions["recueil"].kb.store.sheets(status="pending")}
    assert titles == {f"Contribution simultanée {n}" for n in range(6)}


def test_recueil_page(client: FlaskClient) -> None:
    html = client.get("/recueil").get_data(as_text=True)
    assert html.count('<article class="fiche"') == 11 and "Sommaire" in html
    assert '<link rel="stylesheet" href="/recueil.css">' in html and "<style>" not in html  # the page obeys the CSP
    assert 'class="site"' in html  # the library's compendium body inside the site's layout
    css = client.get("/recueil.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and ".recueil .fiche" in css.get_data(as_text=True)
