"""Moderation write path (not a test): publish, edit one part, unpublish one sheet.

Each action commits the sheet, its vectors and the audit entry in one transaction and updates
the FAISS index for that sheet only (then saves it for the other processes). Drafts are
submitted first (their vectors are encoded at submission, when the contributor asks for the
duplicate check), so a publish encodes nothing; an edit encodes the changed part only.
Target: under 300 ms per sheet. Run: ``.venv/bin/python benchmarks/bench_publish.py [--synthetic 10000]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import contributions  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.sheet import SECTIONS, Sheet  # noqa: E402

KB = str(ROOT / ".venv" / "bin" / "kb")


def draft(n: int) -> Sheet:
    return Sheet(
        id=f"bench-{n}",
        title=f"Pratique de test numéro {n} pour les publics féminins",
        organisations=["Bench"],
        region="Grand Est",
        themes=["mobilisation-publics"],
        sections={
            **dict.fromkeys(SECTIONS, ""),
            "context": f"Contexte {n} : peu de femmes accèdent aux heures.",
            "actions": f"Actions {n} : réunions d'information et job-dating.",
            "advice": "S'appuyer sur les SIAE.",
        },
    )


def timed(action) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    action()
    return (time.perf_counter() - t0) * 1000


def bench(name: str, folder: Path, rounds: int) -> None:
    kb = KnowledgeBase(folder)
    kb.search("warm")  # index loaded, as in a serving process
    submit, publish, edit, unpublish = [], [], [], []
    for n in range(rounds):
        sheet = draft(n)
        submit.append(timed(lambda s=sheet: contributions.submit(kb, s, "Bench", "bench@example.org")))
        publish.append(timed(lambda s=sheet: contributions.publish(kb, s.id, "bench")))
        assert sheet.id in [h.sheet.id for h in kb.search(sheet.title, limit=5).hits]
        sheet.sections["advice"] = f"Conseil modifié {n}."
        edit.append(timed(lambda s=sheet: contributions.edit(kb, s, "bench")))
        unpublish.append(timed(lambda s=sheet: contributions.unpublish(kb, s.id, "bench")))
    print(f"\n{name}: {len(kb.index)} vectors in the index, {rounds} sheets")
    print(f"  {'action':<34} {'median ms':>9} {'p95 ms':>8}")
    for label, values in (
        ("submit (encodes the draft)", submit),
        ("publish (no encoding)", publish),
        ("edit one part (encodes that part)", edit),
        ("unpublish", unpublish),
    ):
        print(f"  {label:<34} {statistics.median(values):>9.1f} {float(np.percentile(values, 95)):>8.1f}")
    kb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--synthetic", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as seed_dir, tempfile.TemporaryDirectory() as synth_dir:
        subprocess.run([KB, "build", "--index-dir", seed_dir], check=True, capture_output=True)
        bench("seed corpus (11 sheets)", Path(seed_dir), args.rounds)
        if args.synthetic:
            subprocess.run(
                [KB, "synth", str(args.synthetic), "--index-dir", synth_dir], check=True, capture_output=True
            )
            bench(f"synthetic corpus ({args.synthetic:,} sheets)", Path(synth_dir), args.rounds)


if __name__ == "__main__":
    main()
