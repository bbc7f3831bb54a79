"""The duplicate label is calibrated: rewrites of a sheet are « très probablement la même
pratique », distinct practices only « voisines » (tests/data/rewrites, real model)."""

from __future__ import annotations

from kb.contributions import NEAR_LABEL, SAME_LABEL, SAME_PRACTICE, duplicate_label
from kb.duplicates import calibrate
from kb.knowledge_base import KnowledgeBase
from tests.helpers import ROOT


def test_rewrites_are_the_same_practice_and_distinct_practices_are_near(kb: KnowledgeBase) -> None:
    found = calibrate(kb, ROOT / "tests" / "data" / "rewrites")
    assert len(found.positives) == 11 and len(found.negatives) >= 200
    print(f"precision {found.precision():.2f}, recall {found.recall():.2f}")
    assert found.precision() == 1.0  # never tells a moderator two practices are one
    assert found.recall() >= 0.9
    # the seed sheets closest to each other (0.86-0.90 raw) stay « voisines »
    assert max(found.negatives) > 0.85 and duplicate_label(max(found.negatives)) == NEAR_LABEL


def test_labels_not_percentages() -> None:
    assert duplicate_label(SAME_PRACTICE) == SAME_LABEL
    assert duplicate_label(0.90) == NEAR_LABEL
