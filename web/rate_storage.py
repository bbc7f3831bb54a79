"""Rate-limit counters in a small SQLite file of their own, shared by every worker.

Counters kept in each worker's memory made the stated limits N times larger with N workers and
were reset when a worker was killed (an exhausted hourly sign-in cap, refilled). This storage
implements the ``limits`` library's interface (fixed windows, Flask-Limiter's default strategy)
on ``ratelimits.sqlite`` in the index folder: every worker counts in the same rows, and the rows
survive any restart. It is not the main database: the search path's connection never writes.
Chosen against Redis by measurement (``benchmarks/bench_rate_storage.py``, docs/SECURITY.md).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from urllib.parse import unquote, urlsplit

from limits.storage import Storage

SCHEME = "recueil-sqlite"
FILE = "ratelimits.sqlite"
PURGE_EVERY = 1000  # increments between two purges of expired counters


def storage_uri(folder: str | os.PathLike[str]) -> str:
    return f"{SCHEME}://{os.path.abspath(os.path.join(folder, FILE))}"


class SQLiteStorage(Storage):
    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 - the limits registry reads this class attribute

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        self.path = unquote(urlsplit(uri or "").path)
        if not self.path:
            raise ValueError(f"{SCHEME} needs a file: {SCHEME}:///path/to/{FILE}")
        self._local = threading.local()  # one connection per thread, opened after any fork
        self._increments = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a kill -9 keeps every count; a power cut may lose the last
            db.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER, expires REAL)")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        self._increments += 1
        if self._increments % PURGE_EVERY == 0:
            self.db.execute("DELETE FROM counters WHERE expires <= ?", [now])
        # One statement, so atomic across workers: a counter past its window starts again.
        row = self.db.execute(
            "INSERT INTO counters (key, count, expires) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires <= ?4 THEN ?2 ELSE count + ?2 END, "
            "expires = CASE WHEN expires <= ?4 THEN ?3 ELSE expires END RETURNING count",
            [key, amount, now + expiry, now],
        ).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self.db.execute("SELECT count FROM counters WHERE key = ? AND expires > ?", [key, time.time()]).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self.db.execute("SELECT expires FROM counters WHERE key = ?", [key]).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        try:
            self.db.execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self.db.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self.db.execute("DELETE FROM counters WHERE key = ?", [key])
