"""Data read once per process, safely when several threads first ask for it at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import update_wrapper
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class ReadOnce(Generic[P, T]):
    """``functools.cache`` for costly reads, with a lock around the reading: a web worker's warm-up
    thread and its first request may ask for the same word list together, and ``functools.cache``
    would let both read it (twice the time and, for a while, twice the memory); here the second
    waits for the first. Positional, hashable arguments only."""

    def __init__(self, read: Callable[P, T]) -> None:
        self._read = read
        self._kept: dict[tuple[object, ...], T] = {}
        self._lock = threading.Lock()
        update_wrapper(self, read)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return self._kept[args]
        except KeyError:
            pass
        with self._lock:
            if args not in self._kept:
                self._kept[args] = self._read(*args, **kwargs)
            return self._kept[args]

    @property
    def loaded(self) -> int:
        """How many values are kept (tests: what a process has read so far)."""
        return len(self._kept)

    def cache_clear(self) -> None:
        with self._lock:
            self._kept.clear()


def read_once(read: Callable[P, T]) -> ReadOnce[P, T]:
    """Decorator: ``read`` runs once per arguments and per process (``ReadOnce``)."""
    return ReadOnce(read)
