"""File-system helpers of the library: atomic writes (sheets, exports, the index) and the
guarded reading of the files a person hands to an import (one helper for every format).

An import path is untrusted: a ``*.md`` may be a symlink to ``/dev/zero`` (endless, and its
``stat()`` size is 0), a FIFO (opening it blocks forever), or a link to a file outside the folder.
So only regular files are read, a folder's files must resolve inside the folder, and every read
stops one byte past the format's limit whatever the file claims to be. Importable on its own.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

MB = 1_000_000
# The largest file each import format accepts. A sheet is a few kilobytes, at most ~100 KB with
# every part full (the form's limits); a JSON export of 10,000 full sheets stays under 200 MB.
LIMITS = {
    "markdown": 1 * MB,  # one sheet per file
    "csv": 20 * MB,  # a survey spreadsheet export
    "report": 5 * MB,  # one meeting report (the seed report is 20 KB)
    "json": 200 * MB,  # a full export of the collection
}


def write_atomic(path: str | os.PathLike[str], data: bytes | Callable[[BinaryIO], None]) -> None:
    """Replace a file in one step: a crash leaves the old or the new content, never half.
    ``data`` is the content, or a function that writes it to the open file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are ordinary documents
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class FileRefused(ValueError):
    """A file an import will not read; ``str()`` gives the path and the reason."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def read_limited(path: str | os.PathLike[str], fmt: str, folder: str | os.PathLike[str] | None = None) -> bytes:
    """The bytes of a regular file no larger than ``LIMITS[fmt]``, else ``FileRefused``.

    With ``folder``, the file (after following symlinks) must lie inside that folder.
    """
    limit = LIMITS[fmt]
    path = Path(path)
    try:
        real = path.resolve(strict=True)
        if folder is not None and not real.is_relative_to(Path(folder).resolve(strict=True)):
            raise FileRefused(path, f"a link to {real}, outside the imported folder; not read")
        # O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the resolved path
        # cannot be swapped for a link between the check above and the open.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(path, f"cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefused(path, "not a regular file (a device, FIFO, socket or folder); not read")
        os.set_blocking(fd, True)
        data = handle.read(limit + 1)  # devices and growing files may claim any size: read at most this
    if len(data) > limit:
        raise FileRefused(path, f"file too large (over {limit:,} bytes, the limit for {fmt})")
    return data
