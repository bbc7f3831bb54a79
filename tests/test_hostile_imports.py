"""Imports and restore that cannot hurt: linear parsers, guarded reads, validated items, checked backups."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PARSE_LINES = """
import sys
from kb.report_parser import parse_report
for line in sys.argv[1:]:
    width = 1_000_000
    parse_report("Compte rendu\\n" + line.replace("SPACES", " " * width) + "\\n- **Contexte** : x\\n", "r.txt")
"""


def test_report_patterns_are_linear_on_a_1_mb_line() -> None:
    """A quadratic pattern takes hours on these lines; a linear one, well under a second each."""
    lines = ["Atelier A) aSPACESb", "- **ContexteSPACESx", "le 1 SPACES x", "Atelier ASPACES"]
    done = subprocess.run(
        [sys.executable, "-c", PARSE_LINES, *lines], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
