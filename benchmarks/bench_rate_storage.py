"""Rate-limit storage benchmark (not a test): the cost of one limiter check per request.

Compares, through the ``limits`` library's fixed-window limiter (Flask-Limiter's default):
- ``memory://``: each worker's own counters (the old set-up: N workers, N times the limit);
- Recueil's SQLite storage (``web/rate_storage.py``): one file shared by the workers, kept across
  restarts;
- Redis (Debian's ``redis-server``, started here on a free port without persistence), when
  installed with the ``redis`` client (neither is a dependency of Recueil).
Each checks ``--hits`` times, half from one client, half spread over 1,000 others.

Run: ``.venv/bin/python benchmarks/bench_rate_storage.py [--hits 5000]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from common import pct  # noqa: F401 - also puts the project on the path
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from web import rate_storage


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def per_hit_us(uri: str, hits: int) -> float:
    limiter = FixedWindowRateLimiter(storage_from_string(uri))
    limit = parse("1000000 per hour")
    limiter.hit(limit, "warm-up")
    started = time.perf_counter()
    for n in range(hits):
        limiter.hit(limit, "search", "127.0.0.1" if n % 2 else f"10.0.{n % 1000 // 250}.{n % 250}")
    return (time.perf_counter() - started) / hits * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hits", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {
            "memory (per worker)": per_hit_us("memory://", args.hits),
            "SQLite file (shared)": per_hit_us(rate_storage.storage_uri(Path(folder)), args.hits),
        }
        server = shutil.which("redis-server")
        if server and importlib.util.find_spec("redis"):
            port = free_port()
            redis = subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
            )
            try:
                time.sleep(0.5)
                results["Redis (shared)"] = per_hit_us(f"redis://127.0.0.1:{port}", args.hits)
            finally:
                redis.terminate()
                redis.wait(timeout=10)
        else:
            print("Redis not measured: it needs Debian's redis-server and the redis client (pip install redis)")
    baseline = results["memory (per worker)"]
    print(f"limiter check per request, {args.hits} hits (half from one client, half from 1,000 others):")
    for name, us in results.items():
        print(f"  {name:<22} {us:8.1f} µs  ({us / baseline:5.1f} x memory)")


if __name__ == "__main__":
    main()
