"""Scale benchmark (not a test): Recueil from 1,000 to 100,000 sheets on this machine.

Corpora come from ``kb synth`` (seeded): their vectors are derived from a sentence pool encoded
once with the real model (see ``kb/synthetic.py``), so these runs measure the store, the index and
the server, not the encoder. Encoding is measured on its own (``bench_core.py``: about 7 parts/s).

For each size it prints, each figure beside its baseline from the same run:
- build: store and index from derived vectors (sheets/s);
- start-up: a fresh process until its first search answers, beside a bare process that only
  imports sentence-transformers and encodes one query (the floor no code of ours can go under);
- search p50/p95 in-process (queries new to the cache) against the bare encoder plus a bare exact
  FAISS search over the same vectors; with a region filter against without;
- recall@10 of the index against exact search (when the index is approximate);
- add / edit / remove one sheet;
- peak RSS of a process that opened the base and searched, index and database size on disk.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 1000,10000,100000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import contributions  # noqa: E402
from kb.evaluate import read_queries  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.sheet import SECTIONS, Sheet  # noqa: E402

FIRST_SEARCH = """
import resource, sys, time, json
t0 = time.perf_counter()
from kb.knowledge_base import KnowledgeBase
import sentence_transformers  # noqa: F401
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
import time
t0 = time.perf_counter()
from kb.encoder import Encoder
Encoder().encode_queries(["mobiliser les publics féminins"])
print(time.perf_counter() - t0)
"""


def queries() -> list[str]:
    files = [ROOT.parent / "shared" / "eval" / "dev_queries.tsv", ROOT / "tests" / "data" / "heldout_queries.tsv"]
    return [q.query for f in files if f.exists() for q in read_queries(f)]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def folder_size(folder: Path, pattern: str) -> float:
    return sum(p.stat().st_size for p in folder.glob(pattern)) / 1e6


def bench(size: int, texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kb", "synth", str(size), "--index-dir", str(folder)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        build = time.perf_counter() - t0
        started = time.perf_counter()
        first = json.loads(
            subprocess.run(
                [sys.executable, "-c", FIRST_SEARCH, str(folder)], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
        )
        wall = time.perf_counter() - started
        floor_started = time.perf_counter()
        subprocess.run([sys.executable, "-c", FLOOR], cwd=ROOT, check=True, capture_output=True)
        floor = time.perf_counter() - floor_started

        kb = KnowledgeBase(folder)
        index = kb.index
        ids, matrix = kb.store.vectors(kb.encoder.model_id)
        exact = faiss.IndexFlatIP(matrix.shape[1])
        exact.add(matrix)
        model = kb.encoder.model
        kb.search("échauffement")
        cold_filter = []
        for region in ("Bretagne", "Occitanie", "Normandie"):  # each filter's first use: nothing cached
            t = time.perf_counter()
            kb.search(f"échauffement {region}", {"region": region}, limit=10)
            cold_filter.append((time.perf_counter() - t) * 1000)
        ours, bare, filtered = [], [], []
        for r in range(3):
            for q in texts:
                text = f"{q} {r}"
                t1 = time.perf_counter()
                vec = model.encode([text + " bare"], prompt_name="query", normalize_embeddings=True)
                exact.search(np.ascontiguousarray(vec, dtype=np.float32), 10)
                t2 = time.perf_counter()
                kb.search(text, limit=10)
                t3 = time.perf_counter()
                kb.search(text + " f", {"region": "Grand Est"}, limit=10)
                t4 = time.perf_counter()
                bare.append((t2 - t1) * 1000)
                ours.append((t3 - t2) * 1000)
                filtered.append((t4 - t3) * 1000)
        recall = None
        if not index.kind.startswith("IDMap2"):
            probes = np.vstack(
                [kb.encoder.encode_queries(texts), matrix[np.random.default_rng(1).choice(len(matrix), 200)]]
            )
            _, truth = exact.search(probes, 10)
            found = [index.search(p, 10)[1] for p in probes]
            recall = float(
                np.mean([len(set(ids[t].tolist()) & set(f.tolist())) / 10 for t, f in zip(truth, found, strict=True)])
            )

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
            for action, do in (
                ("submit", lambda s=sheet: contributions.submit(kb, s, "B", "b@example.org")),
                ("publish", lambda s=sheet: contributions.publish(kb, s.id, "bench")),
                (
                    "edit",
                    lambda s=sheet: contributions.edit(
                        kb, Sheet.from_dict({**s.to_dict(), "sections": {**s.sections, "advice": "Conseil."}}), "bench"
                    ),
                ),
                ("unpublish", lambda s=sheet: contributions.unpublish(kb, s.id, "bench")),
                ("delete", lambda s=sheet: kb.delete_sheet(s.id)),
            ):
                t = time.perf_counter()
                do()
                timings[action].append((time.perf_counter() - t) * 1000)
        kb.close()

        print(f"\n== {size:,} sheets, {len(ids):,} vectors, index {index.kind}")
        print(f"build (derived vectors): {build:.1f} s, {size / build:,.0f} sheets/s")
        print(
            f"start-up to first answer: {wall:.1f} s (imports {first['imports']:.1f} s, open + first search "
            f"{first['open_and_first_search']:.2f} s); floor (import + one encode) {floor:.1f} s"
        )
        print(
            f"search p50/p95: {pct(ours, 50):.1f}/{pct(ours, 95):.1f} ms; bare encode + exact FAISS "
            f"{pct(bare, 50):.1f}/{pct(bare, 95):.1f} ms; ratio p95 {pct(ours, 95) / pct(bare, 95):.2f}"
        )
        print(
            f"with a region filter p50/p95: {pct(filtered, 50):.1f}/{pct(filtered, 95):.1f} ms; "
            f"ratio to unfiltered p50 {pct(filtered, 50) / pct(ours, 50):.2f}; a filter's first use "
            f"(nothing cached) median {np.median(cold_filter):.0f} ms"
        )
        if recall is not None:
            print(f"recall@10 against exact search: {recall:.3f} ({len(texts) + 200} queries)")
        print("one sheet, median ms: " + ", ".join(f"{k} {np.median(v):.1f}" for k, v in timings.items()))
        print(
            f"peak RSS (open + 4 searches): {first['peak_rss_mb']:.0f} MB; on disk: index "
            f"{folder_size(folder, 'vectors.faiss'):.1f} MB, database {folder_size(folder, 'kb.sqlite*'):.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = queries()
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, texts)


if __name__ == "__main__":
    main()
