"""Sessions and requests: the persistent secret key, server-side logout, form fields of the wrong type."""

from __future__ import annotations

import html
import io
import multiprocessing
import re
import stat
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kb.cli import main
from kb.knowledge_base import KnowledgeBase
from tests.test_web_contributions import BASE, csrf, login
from web.secret import KEY_FILE, persistent_secret_key


def _key_in(folder: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    out.put(persistent_secret_key(Path(folder)))


def test_workers_starting_together_share_one_private_key(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    workers = [ctx.Process(target=_key_in, args=(str(tmp_path), out)) for _ in range(8)]
    for w in workers:
        w.start()
    keys = {out.get(timeout=30) for _ in workers}
    for w in workers:
        w.join()
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left behind


def test_a_form_shown_before_a_restart_is_accepted_after_it(writable_kb: KnowledgeBase) -> None:
    from web import create_app

    before = create_app({"KNOWLEDGE_BASE": writable_kb, "TESTING": True})
    client = before.test_client()
    token = csrf(client)
    after = create_app({"KNOWLEDGE_BASE": writable_kb, "TESTING": True})  # the restarted server
    client.application = after  # same cookies, new process
    response = client.post("/contribuer", data={**BASE, "action": "envoyer", "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert after.config["SECRET_KEY"] == before.config["SECRET_KEY"]


def signed_in_copy(app: Flask) -> tuple[FlaskClient, FlaskClient]:
    """A moderator's client, and another holding a copy of their session cookie (a thief)."""
    moderator = app.test_client()
    login(moderator, app)
    thief = app.test_client()
    cookie = moderator.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    assert thief.get("/moderation").status_code == 200
    return moderator, thief


def test_signing_out_ends_every_copy_of_the_session(writable_app: Flask) -> None:
    moderator, thief = signed_in_copy(writable_app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', moderator.get("/moderation").get_data(as_text=True))
    assert token
    assert moderator.post("/moderation/deconnexion", data={"csrf_token": token.group(1)}).status_code == 303
    assert thief.get("/moderation").status_code == 302  # to the sign-in page
    login(moderator, writable_app)  # signing in again works
    assert moderator.get("/moderation").status_code == 200


def test_a_new_password_signs_out_the_moderator_everywhere(writable_app: Flask, writable_kb: KnowledgeBase) -> None:
    moderator, thief = signed_in_copy(writable_app)
    done = CliRunner().invoke(
        main, ["user", "passwd", "alice", "--index-dir", str(writable_kb.index_dir)], input="nouveau-secret-long\n" * 2
    )
    assert done.exit_code == 0, done.output
    assert moderator.get("/moderation").status_code == 302 and thief.get("/moderation").status_code == 302
    login(moderator, writable_app, password="nouveau-secret-long")
    assert moderator.get("/moderation").status_code == 200
    refused = CliRunner().invoke(
        main,
        ["user", "passwd", "personne", "--index-dir", str(writable_kb.index_dir)],
        input="x" * 12 + "\n" + "x" * 12 + "\n",
    )
    assert refused.exit_code == 1 and "no moderator named 'personne'" in refused.output


def test_a_file_in_a_text_field_gets_a_french_400(writable_app: Flask) -> None:
    client = writable_app.test_client()
    for url, fields in (("/contribuer", {**BASE, "action": "envoyer"}), ("/moderation/connexion", {"name": "x"})):
        token = csrf(client, url)
        data = {**fields, "csrf_token": token, "title": (io.BytesIO(b"du texte"), "titre.txt")}
        data["password"] = (io.BytesIO(b"secret"), "mdp.txt")
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, url
        page = html.unescape(response.get_data(as_text=True))
        assert "n'accepte que du texte" in page
        assert url != "/contribuer" or BASE["context"] in page  # the typed text is kept
    as_json = client.post("/contribuer", json={"title": {"a": 1}, "csrf_token": csrf(client)})
    assert as_json.status_code == 400


def test_control_characters_are_stripped_from_forms(writable_app: Flask) -> None:
    client = writable_app.test_client()
    data = {
        **BASE,
        "title": "Titre \x1b[2J\x07piégé\u202e",
        "context": "Ligne un\x00\r\n\tLigne deux\x9b",
        "action": "envoyer",
        "csrf_token": csrf(client),
    }
    assert client.post("/contribuer", data=data).status_code == 303
    store = writable_app.extensions["recueil"].kb.store
    sheet_id = next(i for i in store.sheet_ids(status="pending"))
    sheet = store.record(sheet_id).sheet
    assert sheet.title == "Titre [2Jpiégé"
    assert (
        sheet.sections["context"] == "Ligne un\r\n\tLigne deux" or sheet.sections["context"] == "Ligne un\n\tLigne deux"
    )
