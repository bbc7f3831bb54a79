"""Calibration of the duplicate label (not a test): score ranges and precision/recall of
« très probablement la même pratique » on the rewrites in tests/data/rewrites.

Run: ``.venv/bin/python benchmarks/duplicates.py [--index-dir index]`` (a knowledge base built from
practices/ with ``kb build``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kb.contributions import SAME_PRACTICE
from kb.duplicates import calibrate
from kb.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "index")
    args = parser.parse_args()
    kb = KnowledgeBase(args.index_dir, readonly=True)
    found = calibrate(kb, ROOT / "tests" / "data" / "rewrites")
    print(f"model {kb.encoder.model_id}")
    low, high = min(found.positives), max(found.positives)
    print(f"positives (rewrite vs its original): {len(found.positives)}, {low:.3f}-{high:.3f}")
    print(f"negatives (distinct practices): {len(found.negatives)}, max {max(found.negatives):.3f}")
    for threshold in (0.90, 0.91, 0.92, SAME_PRACTICE, 0.93, 0.94):
        tp, fp, fn = found.confusion(threshold)
        scores = f"precision {found.precision(threshold):.2f} recall {found.recall(threshold):.2f}"
        used = "  <- used" if threshold == SAME_PRACTICE else ""
        print(f"threshold {threshold:.2f}: {scores} (tp {tp}, fp {fp}, fn {fn}){used}")


if __name__ == "__main__":
    main()
