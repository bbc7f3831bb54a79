"""`kb serve` itself under attack: slow clients, and rate limits across workers and restarts.

One real server (gunicorn, 2 workers, the worker class `kb serve` chooses) on 127.0.0.1.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import serve_kb

pytestmark = pytest.mark.slow
SLOW_CLIENTS = 50


def get(url: str, timeout: float = 30) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


@pytest.fixture(scope="module")
def server(built_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    folder = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(built_dir, folder)
    for stale in folder.glob("ratelimits.sqlite*"):
        stale.unlink()
    env = {**os.environ, "RECUEIL_SEARCH_RATE_LIMIT": "100000 per minute", "RECUEIL_LOGIN_RATE_LIMIT": "3 per hour"}
    env.pop("RECUEIL_SECRET_KEY", None)
    base, process = serve_kb(folder, env)
    yield base, process
    process.terminate()
    process.wait(timeout=30)


def slow_client(port: int, body: bool, stop: threading.Event) -> None:
    """A client that sends its request one byte every 2 s and never finishes."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        if body:
            sock.sendall(
                b"POST /contribuer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
            )
        else:
            sock.sendall(b"GET /?q=lent HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(2):
            try:
                sock.send(b"a" if body else b"X")
            except OSError:
                return


def test_searches_still_answer_while_50_slow_clients_hold_connections(server) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    stop = threading.Event()
    clients = [
        threading.Thread(target=slow_client, args=(port, n % 2 == 0, stop), daemon=True) for n in range(SLOW_CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        time.sleep(3)  # every slow connection is open and has started its request
        for n in range(10):  # never repeated: each pays its encoding
            query = urllib.parse.quote(f"accompagnement des publics éloignés {uuid.uuid4().hex[:8]} {n}")
            status, body = get(f"{base}/api/search?q={query}", timeout=10)  # a generous bound, not a timing
            assert status == 200 and json.loads(body)["mode"] == "hybrid"
    finally:
        stop.set()


class Browser:
    """A client with its own cookies, as a person signing in would have."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def failed_login(self) -> int:
        with self.opener.open(f"{self.base}/moderation/connexion", timeout=30) as response:
            html = response.read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert token
        data = urllib.parse.urlencode({"csrf_token": token.group(1), "name": "x", "password": "faux"}).encode()
        try:
            with self.opener.open(f"{self.base}/moderation/connexion", data=data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def test_the_sign_in_cap_holds_across_workers_and_their_restart(server) -> None:  # type: ignore[no-untyped-def]
    base, process = server
    codes = [Browser(base).failed_login() for _ in range(8)]  # new connections: both workers answer some
    assert codes.count(429) == 5 and codes[:3] != [429] * 3, codes  # 3 per hour in all, not 3 per worker
    before = worker_pids(process.pid)
    for pid in before:
        os.kill(pid, signal.SIGKILL)  # what an attacker's slow clients used to provoke
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "gunicorn did not replace its workers"
        after = worker_pids(process.pid)
        if len(after) == 2 and not after & before:
            try:
                if get(f"{base}/api/search?q=x", timeout=10)[0] == 200:
                    break
            except OSError:
                pass
        time.sleep(0.5)
    assert [Browser(base).failed_login() for _ in range(4)] == [429] * 4  # still exhausted
