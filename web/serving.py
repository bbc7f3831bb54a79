"""The gunicorn worker class of ``kb serve``: one that slow clients cannot exhaust.

Measured with 50 connections sending a byte every 2 s (``benchmarks/bench_slow_clients.py``):
sync workers and gthread (8 threads) answered nothing until the clients gave up; waitress (one
process, buffering whole requests) and gevent workers kept answering. gevent keeps gunicorn's
processes (the memory-mapped index shared by them, a killed worker replaced), so it is the one.

gevent's own worker patches ``threading`` too, which would turn the index compaction (a second
or two of writing at 100,000 sheets, ``kb.index_keeper``) into a greenlet that holds the event
loop: no answer until it finishes. Here only the network is cooperative (sockets, select); threads
stay real, and the loop keeps serving while they run.

A worker's greenlets all run in its one real thread, so they share that thread's read connection
and searcher (``KnowledgeBase.reader``, ``searcher``): safe because nothing in a search yields to
the loop (no network I/O between its reads). A real lock does block the whole worker while it is
held elsewhere: once at start, a search that needs the spelling's corpus words while the warm-up
thread reads them waits for it (half a second at 100,000 sheets, milliseconds on the seed corpus).
"""

from __future__ import annotations

from gunicorn.workers.ggevent import GeventWorker


class Worker(GeventWorker):
    def patch(self) -> None:
        from gevent import monkey

        # Threads, their queues and time.sleep stay real: a greenlet must never yield while it
        # holds a real lock (a cooperative sleep under web.knowledge's lock would let another
        # greenlet of the same thread block on that lock, and the thread would hang).
        monkey.patch_all(thread=False, queue=False, time=False)
        import socket

        self.sockets = [socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.detach()) for s in self.sockets]
