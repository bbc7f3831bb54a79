"""Calibration of the duplicate label: how well « très probablement la même pratique » separates
rewrites of a practice (positives) from distinct practices (negatives)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.contributions import SAME_PRACTICE, draft_vector
from kb.knowledge_base import KnowledgeBase
from kb.markdown_io import read_sheet

REWRITE_SUFFIX = "-rewrite"


@dataclass(frozen=True)
class Calibration:
    positives: list[float]  # each rewrite against its original
    negatives: list[float]  # each seed or rewrite against every other published sheet

    def confusion(self, threshold: float = SAME_PRACTICE) -> tuple[int, int, int]:
        """(true positives, false positives, false negatives) of « très probablement »."""
        tp = sum(s >= threshold for s in self.positives)
        fp = sum(s >= threshold for s in self.negatives)
        return tp, fp, len(self.positives) - tp

    def precision(self, threshold: float = SAME_PRACTICE) -> float:
        tp, fp, _ = self.confusion(threshold)
        return tp / (tp + fp) if tp + fp else 1.0

    def recall(self, threshold: float = SAME_PRACTICE) -> float:
        tp, _, fn = self.confusion(threshold)
        return tp / (tp + fn) if tp + fn else 1.0


def calibrate(kb: KnowledgeBase, rewrites: Path) -> Calibration:
    """Score every rewrite in ``rewrites`` (``<sheet id>-rewrite.md``) and every published sheet,
    as drafts, against the published sheets, the way the contribution form does."""
    positives: list[float] = []
    negatives: list[float] = []
    published = kb.store.sheets()
    drafts = [
        (read_sheet(p), p.stem.removesuffix(REWRITE_SUFFIX)) for p in sorted(rewrites.glob(f"*{REWRITE_SUFFIX}.md"))
    ]
    drafts += [(s, None) for s in published]
    for draft, original in drafts:
        for sheet, score in kb.nearest_sheets(draft_vector(kb, draft), len(published), exclude=draft.id):
            (positives if sheet.id == original else negatives).append(score)
    return Calibration(positives, negatives)
