"""Slow-client benchmark (not a test): search latency while 50 connections trickle their requests.

Each connection sends its request one byte every 2 s and never finishes (half in the headers,
half in a form's body), the attack that took the sync workers down. For each gunicorn worker
class, on the seed corpus, it prints the latency of never-repeated hybrid searches alone, the
throughput of 4 concurrent clients (the choice must not cost throughput), and the latency under
the slow clients (p50 and worst; ``timeout`` when a search got no answer in 30 s). The
choice of ``kb serve`` (``web.serving.Worker``) comes from this measurement.

Run: ``.venv/bin/python benchmarks/bench_slow_clients.py [--clients 50] [--searches 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from common import ROOT, make_corpus, pct

WORKERS = {
    "sync (the old default)": ["--worker-class", "sync"],
    "gthread, 8 threads": ["--worker-class", "gthread", "--threads", "8"],
    "web.serving.Worker (kb serve)": ["--worker-class", "web.serving.Worker"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def search_ms(port: int, timeout: float = 30) -> tuple[float, str]:
    query = urllib.parse.quote(f"accompagnement des publics éloignés {uuid.uuid4().hex[:8]}")
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q={query}", timeout=timeout) as response:
        mode = json.load(response)["mode"]
    return (time.perf_counter() - started) * 1000, mode


def latencies(port: int, count: int) -> list[float]:
    out = []
    for _ in range(count):
        try:
            out.append(search_ms(port)[0])
        except OSError:
            out.append(float("inf"))
    return out


def throughput(port: int, clients: int, seconds: float) -> float:
    """Never-repeated searches answered per second by ``clients`` concurrent clients."""
    stop = time.monotonic() + seconds
    done = [0] * clients

    def client(n: int) -> None:
        while time.monotonic() < stop:
            try:
                search_ms(port)
                done[n] += 1
            except OSError:
                pass

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def trickle(port: int, body: bool, stop: threading.Event) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        head = b"POST /contribuer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n"
        sock.sendall(head if body else b"GET /?q=lent HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(2):
            try:
                sock.send(b"a" if body else b"X")
            except OSError:
                return


def measure(name: str, options: list[str], folder: Path, clients: int, searches: int) -> None:
    port = free_port()
    env = {**os.environ, "KB_INDEX_DIR": str(folder), "RECUEIL_SEARCH_RATE_LIMIT": "1000000 per minute"}
    env |= {"RECUEIL_WARM_UP": "background", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "120"]
    server = subprocess.Popen([*argv, *options, "web:create_app()"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    try:
        deadline, hybrid = time.monotonic() + 300, 0
        while hybrid < 6:
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: the server did not load the model in time")
            try:
                hybrid = hybrid + 1 if search_ms(port)[1] == "hybrid" else 0
            except OSError:
                time.sleep(0.5)
        alone = latencies(port, searches)
        rate = throughput(port, 4, 10)
        for n in range(clients):
            threading.Thread(target=trickle, args=(port, n % 2 == 0, stop), daemon=True).start()
        time.sleep(3)
        under = latencies(port, searches)
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)

    def show(values: list[float]) -> str:
        if max(values) == float("inf"):
            return f"{sum(v == float('inf') for v in values)}/{len(values)} timeout"
        return f"p50 {pct(values, 50):6.0f} ms, worst {max(values):6.0f} ms"

    ratio = pct(under, 50) / pct(alone, 50) if max(under) < float("inf") else float("inf")
    print(
        f"  {name:<31} alone: {show(alone):<28} 4 clients: {rate:5.1f} searches/s   "
        f"{clients} slow clients: {show(under):<28} p50 ratio {ratio:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--searches", type=int, default=8)
    parser.add_argument("--folder", type=Path, help="serve this existing knowledge base instead of the seed corpus")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        if not args.folder:
            make_corpus(0, folder)
        print(f"search latency, never-repeated hybrid queries, 2 workers, {args.clients} slow clients:")
        for name, options in WORKERS.items():
            measure(name, options, folder, args.clients, args.searches)


if __name__ == "__main__":
    main()
