"""The knowledge base of the process, and the helpers views share to query it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask import Flask, abort, current_app
from werkzeug.datastructures import MultiDict

from kb.knowledge_base import KnowledgeBase
from kb.search import FILTERS, Results
from kb.sheet import Sheet
from kb.vocabulary import FACETS, meetings, vocabulary

# URL filter name -> (facet key in store counts, French label)
FILTER_LABELS = {
    "region": ("region", "Région"),
    "theme": ("themes", "Thème"),
    "public": ("publics", "Public"),
    "market_type": ("market_types", "Type de marché"),
    "actor_type": ("actor_types", "Type d'acteur"),
    "event": ("event", "Rencontre"),
    "year": ("year", "Année"),
}
MAX_FILTER_VALUES = 20


log = logging.getLogger(__name__)


@dataclass
class Shared:
    kb: KnowledgeBase
    lock: threading.Lock
    ready: threading.Event = field(default_factory=threading.Event)  # model and index loaded
    settled: threading.Event = field(default_factory=threading.Event)  # loaded, or failed to
    theme_vectors: np.ndarray | None = None
    topics: tuple[Any, ...] | None = None  # (corpus state, topics, coverage) for the organisers' pages


def init_app(app: Flask) -> None:
    """Open the knowledge base and load the model and the index before users' first searches.

    With ``WARM_UP = "background"`` (``kb serve``) they load in a thread while the app already
    serves: importing sentence-transformers alone takes 5 to 7 seconds on two cores, and searches
    meanwhile are answered by keywords, saying so. Otherwise (the default) the app is built ready.
    """
    # One writer connection per process: moderation publishes through it; requests take turns.
    kb = app.config.get("KNOWLEDGE_BASE") or KnowledgeBase(app.config["INDEX_DIR"])
    state = Shared(kb, threading.Lock())
    app.extensions["recueil"] = state
    if app.config.get("WARM_UP") == "background":
        threading.Thread(target=warm_up, args=(state,), name="recueil-warm-up", daemon=True).start()
    else:
        warm_up(state)


def warm_up(state: Shared) -> None:
    """Load the model (no lock held: requests go on meanwhile), then the index and a first query."""
    try:
        state.kb.encoder.dim  # noqa: B018 - loads the model
        with state.lock:
            state.kb.search("clause sociale", limit=1)
        state.ready.set()
    except Exception:  # a broken model or index: logged; searches stay keyword-only, never fail
        log.exception("loading the model and the index failed; searches answer by keywords only")
    finally:
        state.settled.set()


def shared() -> Shared:
    return current_app.extensions["recueil"]


def filters_from(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """The known filters of a query string (repeated keys are alternatives)."""
    out = {}
    for name in FILTERS:
        values = [v for v in args.getlist(name) if v.strip()][:MAX_FILTER_VALUES]
        if values:
            out[name] = values
    return out


def run_search(query: str, filters: dict[str, list[str]], limit: int, offset: int) -> Results:
    """Hybrid search, or keyword-only while the model and the index are still loading."""
    state = shared()
    mode = "hybrid" if state.ready.is_set() else "keyword"
    with state.lock:  # one SQLite connection and one encoder per process: requests take turns
        return state.kb.search(query, filters, limit=limit, offset=offset, mode=mode)


def facet_counts(ids: list[str]) -> dict[str, dict[str, int]]:
    state = shared()
    with state.lock:
        return state.kb.store.facet_counts(ids)


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
    for name, (facet, label) in FILTER_LABELS.items():
        values = [
            {"value": v, "label": value_label(name, v), "count": n, "selected": v in active.get(name, [])}
            for v, n in counts[facet].items()
        ]
        for v in active.get(name, []):  # a selected value with no match still shows, to be removable
            if v not in counts[facet]:
                values.append({"value": v, "label": value_label(name, v), "count": 0, "selected": True})
        out.append({"name": name, "label": label, "values": values})
    return out


def closest_themes(query: str, limit: int = 3) -> list[tuple[str, str]]:
    """The vocabulary themes nearest to a query (by embedding), for the empty state."""
    state = shared()
    if not state.ready.is_set():
        return []
    labels = vocabulary().terms["themes"]
    keys = list(labels)
    with state.lock:
        if state.theme_vectors is None:
            state.theme_vectors = state.kb.encoder.encode_passages([labels[k] for k in keys])
        if not query.strip():
            return []
        qvec = state.kb.encoder.encode_queries([query])[0]
    order = np.argsort(-(state.theme_vectors @ qvec))[:limit]
    return [(keys[i], labels[keys[i]]) for i in order]


def published_or_404(sheet_id: str) -> Sheet:
    """A published sheet, or the 404 page (or JSON error under /api)."""
    state = shared()
    with state.lock:
        sheet = state.kb.store.get_sheet(sheet_id)
    if sheet is None:
        abort(404)
    return sheet
