"""Sessions and requests: the persistent secret key, server-side logout, form fields of the wrong type."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from kb.knowledge_base import KnowledgeBase
from tests.test_web_contributions import BASE, csrf
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
