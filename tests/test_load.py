"""A bounded load test on 127.0.0.1: gunicorn (2 workers) with 16 clients searching and 4
submitting while a moderator publishes. Zero 5xx, every accepted submission stored, and a search
right after each publish, served by either worker, finds the sheet. Stops by itself after
RECUEIL_LOAD_SECONDS (60 by default)."""

from __future__ import annotations

import http.cookiejar
import os
import random
import re
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from kb import contributions
from kb.store import Store
from tests.helpers import serve_kb

pytestmark = pytest.mark.slow
SECONDS = float(os.environ.get("RECUEIL_LOAD_SECONDS", "60"))
QUERIES = [
    "mobiliser les publics féminins",
    "intellectual services contracts",
    "économie circulaire",
    "jeunes",
    "réseau régional des facilitateurs",
    "bailleur social",
    "clause sociale",
    "aller-vers les habitants",
]


class Client:
    """A browser-like client: cookies, redirects not followed, status codes counted."""

    def __init__(self, base: str, statuses: Counter[int]) -> None:
        self.base = base
        self.statuses = statuses
        jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def request(self, path: str, data: dict[str, str | list[str]] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        self.statuses[status] += 1
        return status, text

    def token(self, path: str) -> str:
        _, html = self.request(path)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert match, path
        return match.group(1)


def test_search_submit_and_publish_under_load(built_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    shutil.copytree(built_dir, folder)
    store = Store(folder / "kb.sqlite")
    contributions.add_user(store, "moderatrice", "un-mot-de-passe-long")
    store.close()
    env = {
        **os.environ,
        "RECUEIL_SEARCH_RATE_LIMIT": "100000 per minute",
        "RECUEIL_SUBMISSION_RATE_LIMIT": "100000 per minute",
        "RECUEIL_LOGIN_RATE_LIMIT": "100 per minute",
    }
    base, server = serve_kb(folder, env)
    statuses: Counter[int] = Counter()
    try:
        stop = time.monotonic() + SECONDS
        accepted: list[str] = []
        published: list[tuple[str, bool]] = []
        failures: list[str] = []

        def searcher(n: int) -> None:
            client, rng = Client(base, statuses), random.Random(n)
            while time.monotonic() < stop:
                client.request("/api/search?" + urllib.parse.urlencode({"q": rng.choice(QUERIES)}))

        def submitter(n: int) -> None:
            client, count = Client(base, statuses), 0
            while time.monotonic() < stop:
                title = f"Contribution de charge {n}-{count}"
                status, _ = client.request(
                    "/contribuer",
                    {
                        "csrf_token": client.token("/contribuer"),
                        "action": "envoyer",
                        "title": title,
                        "organisations": f"Structure {n}",
                        "region": "Grand Est",
                        "year": "2023",
                        "themes": ["mobilisation-publics"],
                        "context": f"Contexte de la contribution {n}-{count}.",
                        "actions": "Des actions.",
                        "contact_name": "Test",
                        "contact_email": "test@example.org",
                        "consent": "y",
                    },
                )
                if status == 303:
                    accepted.append(title)
                count += 1

        def moderator() -> None:
            client = Client(base, statuses)
            status, _ = client.request(
                "/moderation/connexion",
                {
                    "csrf_token": client.token("/moderation/connexion"),
                    "name": "moderatrice",
                    "password": "un-mot-de-passe-long",
                },
            )
            if status != 303:
                failures.append(f"login answered {status}")
                return
            while time.monotonic() < stop:
                _, queue = client.request("/moderation")
                pending = re.findall(r'href="/moderation/fiches/([^"]+)">([^<]+)</a>', queue)
                if not pending:
                    time.sleep(0.2)
                    continue
                sheet_id, title = pending[0]
                token = client.token(f"/moderation/fiches/{sheet_id}")
                status, _ = client.request(f"/moderation/fiches/{sheet_id}/publier", {"csrf_token": token})
                if status != 303:
                    failures.append(f"publish {sheet_id} answered {status}")
                    continue
                seen = []
                for _ in range(2):  # two searches: with two workers, both are likely to answer one
                    _, found = client.request("/api/search?" + urllib.parse.urlencode({"q": title, "limit": 10}))
                    seen.append(f'"id":"{sheet_id}"' in found.replace(" ", ""))
                published.append((sheet_id, all(seen)))

        threads = [threading.Thread(target=searcher, args=(n,)) for n in range(16)]
        threads += [threading.Thread(target=submitter, args=(n,)) for n in range(4)]
        threads.append(threading.Thread(target=moderator))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 300)
        assert not failures, failures
        assert not [code for code in statuses if code >= 500], statuses
        assert accepted and published, (len(accepted), len(published), statuses)
        assert all(seen for _, seen in published), [sid for sid, seen in published if not seen]
        store = Store(folder / "kb.sqlite", readonly=True)
        titles = {s.title for s in store.sheets(status=None)}
        store.close()
        assert set(accepted) <= titles
        print(f"\nload: {dict(statuses)}; {len(accepted)} submissions, {len(published)} publishes in {SECONDS:.0f} s")
    finally:
        server.terminate()
        server.wait(timeout=60)
