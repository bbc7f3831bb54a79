"""What the benchmark scripts share: paths, the queries, percentiles, corpora on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.evaluate import read_queries  # noqa: E402

KB = str(Path(sys.executable).parent / "kb")  # the kb command of the environment running the benchmark
QUERY_FILES = (ROOT.parent / "shared" / "eval" / "dev_queries.tsv", ROOT / "tests" / "data" / "heldout_queries.tsv")


def queries() -> list[str]:
    """The development and held-out queries, French and English (about 40)."""
    return [q.query for f in QUERY_FILES if f.exists() for q in read_queries(f)]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def recall_at_10(queries: np.ndarray, matrix: np.ndarray, exact_scores: np.ndarray, found: list[np.ndarray]) -> float:
    """Recall@10 against exact search, ties counted: a found row is right when its exact score
    reaches the 10th best exact score (synthetic corpora hold many equal vectors, whose order
    among themselves is arbitrary). ``found`` holds row numbers of ``matrix``."""
    kth = exact_scores[:, 9] - 1e-5
    hits = [int(np.sum(matrix[rows[rows >= 0]] @ q >= t)) for q, t, rows in zip(queries, kth, found, strict=True)]
    return float(np.mean(np.minimum(hits, 10)) / 10)


def folder_mb(folder: Path, pattern: str) -> float:
    return sum(p.stat().st_size for p in folder.glob(pattern)) / 1e6


def run(argv: list[str]) -> str:
    """A command's output; its error output if it fails."""
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def make_corpus(size: int, folder: Path) -> None:
    """The seed corpus (``size`` 0: ``kb build`` from practices/) or ``size`` synthetic sheets."""
    command = [KB, "build"] if size == 0 else [KB, "synth", str(size)]
    run([*command, "--index-dir", str(folder)])
