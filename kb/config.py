"""Where things live: the index folder and the practices folder, from the environment.

In a checkout (``pyproject.toml`` beside ``kb/``) they default to ``index/`` and ``practices/``
of the checkout; installed from a wheel, to those folders in the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_FILE = "kb.sqlite"


def home() -> Path:
    """The checkout when running from one, else the working directory."""
    return ROOT if (ROOT / "pyproject.toml").is_file() else Path.cwd()


def index_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """``--index-dir``, else ``KB_INDEX_DIR``, else ``index/`` in ``home()``."""
    return Path(override or os.environ.get("KB_INDEX_DIR") or home() / "index")


def practices_dir() -> Path:
    """``KB_PRACTICES_DIR``, else ``practices/`` in ``home()``."""
    return Path(os.environ.get("KB_PRACTICES_DIR") or home() / "practices")
