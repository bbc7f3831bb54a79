"""The secret key that signs sessions and form tokens, kept in the index folder across restarts.

Without ``RECUEIL_SECRET_KEY`` a key made per launch would log every moderator out and fail every
form in progress at each restart; so one is generated once and kept beside the database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"
KEY_BYTES = 32


def persistent_secret_key(folder: Path) -> str:
    """The folder's key, created on first use (mode 0600).

    Several workers may start at once: the key is written in full to a private temporary file,
    then linked to its final name, which fails if another process got there first; the file under
    that name is thus always complete, and every process reads the same key.
    """
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(KEY_BYTES).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # exclusive: never replaces a key another process made
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip()
