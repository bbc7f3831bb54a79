"""A costly read asked for by several threads at once runs once."""

import threading
import time

from kb.loading import read_once


def test_threads_asking_together_read_once_and_share_the_value() -> None:
    reads: list[str] = []

    @read_once
    def word_list(language: str) -> frozenset[str]:
        reads.append(language)
        time.sleep(0.05)  # long enough for every thread to ask while the first reads
        return frozenset({language})

    start = threading.Barrier(4)
    found: list[frozenset[str]] = []

    def ask() -> None:
        start.wait()
        found.append(word_list("fr"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == ["fr"]
    assert len(found) == 4 and all(value is found[0] for value in found)
    assert word_list("en") == frozenset({"en"}) and reads == ["fr", "en"] and word_list.loaded == 2
    word_list.cache_clear()
    assert word_list.loaded == 0 and word_list("fr") == frozenset({"fr"}) and reads == ["fr", "en", "fr"]
