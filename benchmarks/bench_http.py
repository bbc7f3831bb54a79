"""HTTP load benchmark (not a test): gunicorn on 127.0.0.1 under wrk, against in-process search.

For each corpus (the seed corpus, and a synthetic one of ``--synthetic`` sheets) it starts
``kb serve`` on a free local port, measures the same queries in-process (``KnowledgeBase.search``,
p50/p95), then runs wrk at 1, 4 and 16 concurrent connections for ``--seconds`` each and prints
p50/p95, throughput and errors. Target: HTTP p95 at 4 clients <= 2 x in-process p95, zero errors.
Every run is bounded in time and stops by itself; only 127.0.0.1 is ever contacted.

Run: ``.venv/bin/python benchmarks/bench_http.py [--seconds 10] [--synthetic 10000] [--workers 2]``
(wrk is Debian's package: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.evaluate import read_queries  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402

KB = str(ROOT / ".venv" / "bin" / "kb")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queries() -> list[str]:
    files = [ROOT.parent / "shared" / "eval" / "dev_queries.tsv", ROOT / "tests" / "data" / "heldout_queries.tsv"]
    return [q.query for f in files if f.exists() for q in read_queries(f)]


def in_process(folder: Path, texts: list[str], rounds: int = 3) -> tuple[float, float]:
    """Search time in-process, each query new to the encoder's cache (the cold case)."""
    kb = KnowledgeBase(folder, readonly=True)
    kb.search(texts[0])
    times = []
    for r in range(rounds):
        for q in texts:
            t0 = time.perf_counter()
            kb.search(f"{q} {r}", limit=10)
            times.append((time.perf_counter() - t0) * 1000)
    kb.close()
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def wait_ready(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server not ready at {url}")


def run_wrk(port: int, connections: int, seconds: int, queries_file: Path, unique: bool) -> dict[str, object]:
    threads = min(connections, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "benchmarks" / "queries.lua"),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "QUERIES_FILE": str(queries_file), "UNIQUE": "1" if unique else "0"},
        timeout=seconds + 60,
    )
    line = next(line for line in out.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


def bench_corpus(name: str, folder: Path, texts: list[str], seconds: int, workers: int) -> None:
    p50, p95 = in_process(folder, texts)
    port = free_port()
    env = {**os.environ, "RECUEIL_SEARCH_RATE_LIMIT": "1000000 per minute"}  # measure search, not the limiter
    server = subprocess.Popen(
        [KB, "serve", "--index-dir", str(folder), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/api/search?q=warm")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(urllib.parse.quote(q) for q in texts))
            queries_file = Path(handle.name)
        for _ in range(workers * 2):  # warm every worker
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=warm", timeout=30).read()
        print(f"\n{name}: in-process search (no cache hit) p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(texts)} queries)")
        columns = ("queries", "clients", "p50 ms", "p95 ms", "req/s", "errors", "p95/in-proc")
        print("  " + " ".join(f"{c:>{w}}" for c, w in zip(columns, (9, 7, 8, 8, 7, 6, 11), strict=True)))
        for unique in (True, False):
            for clients in (1, 4, 16):
                r = run_wrk(port, clients, seconds, queries_file, unique)
                errors = sum(r["errors"].values())  # type: ignore[union-attr]
                rps = r["requests"] / r["seconds"]  # type: ignore[operator]
                kind = "unique" if unique else "repeated"
                print(
                    f"  {kind:>9} {clients:>7} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {rps:>7.1f} {errors:>6} "
                    f"{r['p95_ms'] / p95:>11.2f}"
                )
        queries_file.unlink()
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    texts = queries()
    with tempfile.TemporaryDirectory() as seed_dir, tempfile.TemporaryDirectory() as synth_dir:
        subprocess.run([KB, "build", "--index-dir", seed_dir], check=True, capture_output=True)
        bench_corpus("seed corpus (11 sheets)", Path(seed_dir), texts, args.seconds, args.workers)
        if args.synthetic:
            subprocess.run(
                [KB, "synth", str(args.synthetic), "--index-dir", synth_dir], check=True, capture_output=True
            )
            bench_corpus(
                f"synthetic corpus ({args.synthetic:,} sheets)", Path(synth_dir), texts, args.seconds, args.workers
            )


if __name__ == "__main__":
    main()
