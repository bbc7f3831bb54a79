"""Requests read through their thread's own connection (per-thread readers, one writer), so reads
neither queue on one lock nor see another thread's unfinished write."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from kb.knowledge_base import KnowledgeBase
from kb.sheet import SECTIONS, Sheet
from web.knowledge import reader


def test_each_thread_reads_through_its_own_connection(app: Flask, kb: KnowledgeBase) -> None:
    together = threading.Barrier(4, timeout=30)  # four requests in flight at once, on four threads

    def connection() -> tuple[int, int]:
        with app.test_request_context("/"):
            first, again = reader(), reader()
            assert first is again  # one per thread, kept between requests
            together.wait()
            return threading.get_ident(), id(first)

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(lambda _: connection(), range(4)))
    threads = {thread for thread, _ in seen}
    connections = {connection for _, connection in seen}
    assert len(threads) == 4 and len(connections) == 4 and id(kb.store) not in connections


def test_a_read_does_not_see_a_write_still_in_progress(writable_app: Flask, writable_kb: KnowledgeBase) -> None:
    """A moderator's publication in one thread is invisible to other requests until it commits."""
    sheet = Sheet(id="en-cours", title="Pratique en cours d'écriture", sections={**dict.fromkeys(SECTIONS, "")})
    started, finish = threading.Event(), threading.Event()

    def write() -> None:
        with writable_kb.store.transaction():
            writable_kb.store.save_sheet(sheet)
            started.set()
            finish.wait(timeout=30)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert started.wait(timeout=30)
        client = writable_app.test_client()
        assert client.get("/api/practices/en-cours").status_code == 404  # not committed yet
        assert client.get("/api/search?q=pratique").status_code == 200  # reads go on meanwhile
    finally:
        finish.set()
        writer.join()
    assert writable_app.test_client().get("/api/practices/en-cours").status_code == 200
