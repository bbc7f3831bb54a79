"""Where things live: the index folder and the practices folder, from the environment."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = "kb.sqlite"


def index_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """``--index-dir``, else ``KB_INDEX_DIR``, else ``index/`` beside ``kb/``."""
    return Path(override or os.environ.get("KB_INDEX_DIR") or ROOT / "index")


def practices_dir() -> Path:
    return Path(os.environ.get("KB_PRACTICES_DIR") or ROOT / "practices")
