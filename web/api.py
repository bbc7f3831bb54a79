"""The JSON API under /api: the same search, filters and sheets as the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from kb.search import similar_to_json
from kb.search_options import FILTERS
from web.errors import bad_request
from web.extensions import search_budget, vector_budget
from web.knowledge import MAX_FILTER_VALUES, facets_view, filters_from, published_or_404, reader, run_search, shared
from web.openapi import spec
from web.urls import site_root

bp = Blueprint("api", __name__, url_prefix="/api")


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Le paramètre « {name} » doit être un nombre entier.") from None
    if not low <= value <= high:
        raise bad_request(f"Le paramètre « {name} » doit être compris entre {low} et {high}.")
    return value


def filters_arg() -> dict[str, list[str]]:
    """The filters, refused with a message when the description forbids them (not trimmed)."""
    for name in FILTERS:
        values = request.args.getlist(name)
        if len(values) > MAX_FILTER_VALUES:
            raise bad_request(f"Le filtre « {name} » accepte au plus {MAX_FILTER_VALUES} valeurs.")
        if name == "year" and not all(v.strip().lstrip("-").isdigit() for v in values):
            raise bad_request("Le filtre « year » attend des années (nombres entiers).")
    return filters_from(request.args)


def query_arg() -> str:
    return request.args.get("q", "")[:500]


@bp.get("/search")
@search_budget
def search() -> Response:
    limit = int_arg("limit", 10, 1, 100)
    offset = int_arg("offset", 0, 0, 1_000_000)
    results = run_search(query_arg(), filters_arg(), limit, offset)
    return jsonify(results.to_json())


def summary(sheet: Any) -> dict[str, Any]:
    data = sheet.to_dict()
    del data["sections"]
    return data


@bp.get("/practices")
def practices() -> Response:
    limit = int_arg("limit", 50, 1, 500)
    offset = int_arg("offset", 0, 0, 1_000_000)
    results = run_search("", filters_arg(), limit, offset)
    return jsonify(total=results.total, limit=limit, offset=offset, practices=[summary(h.sheet) for h in results.hits])


@bp.get("/practices/<sheet_id>")
def practice(sheet_id: str) -> Response:
    return jsonify(published_or_404(sheet_id).to_dict())


@bp.get("/practices/<sheet_id>/similar")
@vector_budget
def similar(sheet_id: str) -> Response:
    limit = int_arg("limit", 5, 1, 50)
    state = shared()
    if reader().get_sheet(sheet_id) is None:
        abort(404)
    pairs = state.kb.similar(sheet_id, limit)
    return jsonify(similar=similar_to_json(pairs))


@bp.get("/facets")
@search_budget
def facets() -> Response:
    filters = filters_arg()
    results = run_search(query_arg(), filters, 0, 0)
    return jsonify(total=results.total, facets=facets_view(results.ids, filters))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(spec(site_root()))
