"""Which approximate index (not a test): exact, HNSW, IVF-Flat and IVF-SQ8 on a corpus's vectors.

For each kind: build time, size, search p50 over queries taken from the vectors themselves, and
recall@10 against exact search; whether it takes removals by id (updates stay incremental only if
it does). This is the measurement behind the choice in ``kb/vector_index.py``.

Run: ``.venv/bin/python benchmarks/bench_index.py --folder DIR`` (a knowledge base, e.g. made by
``kb synth 10000 --index-dir DIR``); ``benchmarks/run.py`` runs it on each synthetic corpus.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
from common import pct, recall_at_10

from kb.knowledge_base import KnowledgeBase
from kb.vector_index import default_nprobe, ivf_lists

QUERIES = 300


def hnsw(ef_search: int) -> Callable[[int, int], faiss.Index]:
    def make(dim: int, _: int) -> faiss.Index:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = ef_search
        return index

    return make


def ivf_flat(dim: int, count: int) -> faiss.Index:
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, ivf_lists(count), faiss.METRIC_INNER_PRODUCT)
    index.nprobe = default_nprobe(index.nlist)
    return index


def ivf_sq8(dim: int, count: int) -> faiss.Index:
    index = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dim), dim, ivf_lists(count), faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.nprobe = default_nprobe(index.nlist)
    return index


KINDS: dict[str, Callable[[int, int], faiss.Index]] = {
    "HNSW32 (efSearch 64)": hnsw(64),
    "HNSW32 (efSearch 256)": hnsw(256),
    "IVF-Flat": ivf_flat,
    "IVF-SQ8 (chosen)": ivf_sq8,
}


def removable(index: faiss.Index) -> bool:
    try:
        index.remove_ids(np.array([0], dtype=np.int64))
    except RuntimeError:
        return False
    return True


def measure(folder: Path) -> None:
    kb = KnowledgeBase(folder, readonly=True)
    _, matrix = kb.store.vectors(kb.encoder.model_id)
    kb.close()
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    count, dim = matrix.shape
    rng = np.random.default_rng(0)
    queries = matrix[rng.choice(count, QUERIES, replace=False)] + rng.normal(0, 0.02, (QUERIES, dim)).astype("f4")
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = faiss.IndexFlatIP(dim)
    exact.add(matrix)
    truth, _ = exact.search(queries, 10)
    print(f"{count:,} vectors of {dim} dims; {QUERIES} queries (stored vectors plus noise), one at a time")
    print(f"  {'kind':24} {'build s':>8} {'size MB':>8} {'p50 ms':>7} {'recall@10':>9} {'removes':>8}")
    rows: list[tuple[str, float, faiss.Index, int]] = [("exact (Flat)", 0.0, exact, 0)]
    graph: tuple[faiss.Index, float] | None = None  # one HNSW graph serves every efSearch
    for name, make in KINDS.items():
        t0 = time.perf_counter()
        index = make(dim, count)
        ef = index.hnsw.efSearch if isinstance(index, faiss.IndexHNSW) else 0
        if ef and graph is not None:
            rows.append((name, graph[1], graph[0], ef))
            continue
        if not index.is_trained:
            index.train(matrix[rng.permutation(count)[: index.nlist * 40]])
        index.add(matrix)
        rows.append((name, time.perf_counter() - t0, index, ef))
        if ef:
            graph = (index, rows[-1][1])
    for name, build, index, ef in rows:
        if ef:
            index.hnsw.efSearch = ef
        times, found = [], []
        for q in queries:
            t0 = time.perf_counter()
            found.append(index.search(q.reshape(1, -1), 10)[1][0])
            times.append((time.perf_counter() - t0) * 1000)
        recall = recall_at_10(queries, matrix, truth, found)
        size = faiss.serialize_index(index).nbytes / 1e6
        print(f"  {name:24} {build:8.1f} {size:8.1f} {pct(times, 50):7.2f} {recall:9.3f} {removable(index)!s:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, required=True)
    measure(parser.parse_args().folder)


if __name__ == "__main__":
    main()
