"""What tests share besides fixtures: the checkout's paths and a counting test double of the encoder."""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kb.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
PRACTICES = ROOT / "practices"
SHARED = ROOT.parent / "shared"
DEV_QUERIES = SHARED / "eval" / "dev_queries.tsv"


class CountingEncoder:
    """Deterministic pseudo-random unit vectors from a text's hash, counting every text encoded.

    Used where a test checks which texts get (re-)encoded or how vectors flow through the store
    and the index; such tests need no meaning, and the real model would only make them slower.
    """

    def __init__(self, model_id: str = "test-double/hash-64", dim: int = 64) -> None:
        self.model_id = model_id
        self.dim = dim
        self.encoded: list[str] = []

    def _vectors(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256((prefix + text).encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.vstack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)

    def load(self) -> CountingEncoder:
        """Nothing to load (the real encoder loads its engine here)."""
        return self

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts, "query: ")

    def encode_query(self, text: str) -> np.ndarray:
        return self._vectors([text], "query: ")[0]

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return self._vectors(texts, "passage: ")


KbFactory = Callable[..., KnowledgeBase]  # the make_kb fixture


def card_ids(html: str) -> list[str]:
    """The sheet ids of a page's result cards, in order (their links may carry « retour »)."""
    return re.findall(r'<h3><a href="/fiches/([^"?]+)(?:\?[^"]*)?">', html)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_kb(folder: Path, env: dict[str, str], timeout: float = 300) -> tuple[str, subprocess.Popen[bytes]]:
    """``kb serve`` (2 workers) on a free loopback port, once it answers a search; its output is
    discarded (an unread pipe would fill up and stall the server)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--index-dir", str(folder), "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/api/search?q=insertion", timeout=30).read()
            return base, process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError("the server did not start") from None
            time.sleep(0.3)
