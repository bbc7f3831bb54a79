"""Pages for facilitators: search, browse, one sheet (with downloads), the regional meetings."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from kb.markdown_io import dump_sheet
from kb.rendering import render_markdown
from kb.search import normalise_filters
from kb.search_options import FILTER_FACETS
from kb.sessions import search_sessions, speaker_differences
from kb.sheet import PART_LABELS, SECTIONS, Sheet
from kb.vocabulary import meetings, vocabulary
from web.extensions import search_budget
from web.knowledge import (
    FILTER_LABELS,
    facets_view,
    filters_from,
    published_or_404,
    reader,
    run_search,
    shared,
    value_label,
)
from web.urls import absolute_url

bp = Blueprint("practices", __name__)
MAX_PAGE = 10_000
SORT_LABELS = {"title": "Titre", "region": "Région", "date": "Date"}  # the keys of Store.browse's sorts


def page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


def page_number() -> int:
    try:
        return min(max(int(request.args.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


def url_with(endpoint: str, args: dict[str, list[str]], **changes: Any) -> str:
    """URL of ``endpoint`` with these query args, ``changes`` replacing (None removes)."""
    merged = {k: list(v) for k, v in args.items()}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = [str(value)]
    query = urlencode([(k, v) for k, values in merged.items() for v in values])
    return url_for(endpoint) + (f"?{query}" if query else "")


def toggle(args: dict[str, list[str]], name: str, value: str) -> dict[str, list[str]]:
    """Args with one filter value added or removed, back to page 1."""
    out = {k: list(v) for k, v in args.items() if k != "page"}
    values = out.setdefault(name, [])
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    if not values:
        del out[name]
    return out


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {
        "speaker_differences": speaker_differences,
        "url_with": url_with,
        "toggle": toggle,
        "value_label": value_label,
        "part_labels": PART_LABELS,
        "filter_labels": FILTER_LABELS,
        "vocab": vocabulary(),
        "meetings": meetings(),
        "sections": SECTIONS,
    }


def current_args(query: str, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    args = {k: list(v) for k, v in filters.items()}
    if query:
        args = {"q": [query], **args}
    return args


@bp.get("/")
@search_budget
def search() -> str:
    query = request.args.get("q", "")[:500].strip()
    filters = filters_from(request.args)
    size = page_size()
    page = page_number()
    results = run_search(query, filters, size, (page - 1) * size)
    pages = max(1, -(-results.total // size))
    return render_template(
        "search.html",
        query=query,
        results=results,
        page=page,
        pages=pages,
        facets=facets_view(results.ids, filters),
        filters=filters,
        args=current_args(query, filters),
        endpoint="practices.search",
    )


@bp.get("/fiches")
def browse() -> str:
    filters = filters_from(request.args)
    sort = request.args.get("tri", "title")
    sort = sort if sort in SORT_LABELS else "title"
    descending = request.args.get("ordre") == "desc"
    wanted = {FILTER_FACETS[name]: values for name, values in normalise_filters(filters).items()}
    ids = reader().filter_ids(wanted)  # every match: the total and the facets' counts
    size, page = page_size(), page_number()
    pages = max(1, -(-len(ids) // size))
    args = current_args("", filters)
    if sort != "title":
        args["tri"] = [sort]
    if descending:
        args["ordre"] = ["desc"]
    return render_template(
        "browse.html",
        sheets=reader().browse(wanted, sort, descending, size, (page - 1) * size),
        total=len(ids),
        page=page,
        pages=pages,
        facets=facets_view(ids, filters),
        filters=filters,
        args=args,
        sort=sort,
        descending=descending,
        sorts=SORT_LABELS,
        endpoint="practices.browse",
    )


@bp.get("/fiches/<sheet_id>")
def sheet(sheet_id: str) -> str:
    found = published_or_404(sheet_id)
    state = shared()
    similar = []
    if state.ready:  # without the model, the page comes without its similar sheets
        similar = state.kb.similar(found.id, 5)
    meeting = meetings().get(found.event or "")
    session = meeting.session(found.workshop) if meeting else None
    rendered = {key: render_markdown(text) for key, text in found.sections.items()}
    return render_template(
        "sheet.html",
        sheet=found,
        rendered=rendered,
        similar=similar,
        meeting=meeting,
        session=session,
        permalink=absolute_url("practices.sheet", sheet_id=found.id),
    )


@bp.get("/fiches/<sheet_id>.md")
def sheet_markdown(sheet_id: str) -> Response:
    found = published_or_404(sheet_id)
    return Response(
        dump_sheet(found),
        mimetype="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{found.id}.md"'},
    )


@bp.get("/fiches/<sheet_id>.json")
def sheet_json(sheet_id: str) -> Response:
    found = published_or_404(sheet_id)
    return Response(
        json.dumps(found.to_dict(), ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{found.id}.json"'},
    )


@bp.get("/rencontres")
def meetings_page() -> str:
    sheets = reader().sheets()
    presented: dict[tuple[str, str], list[Sheet]] = {}
    for s in sheets:
        if s.event:
            presented.setdefault((s.event, s.workshop or ""), []).append(s)
    query = " ".join(request.args.get("q", "").split())[:300]
    return render_template(
        "meetings.html",
        all_meetings=list(meetings().values()),
        presented=presented,
        query=query,
        matches=search_sessions(query) if query else [],
    )


@bp.get("/recueil")
def recueil() -> str:
    """The printable compendium of all published sheets, grouped by theme, in the site's layout."""
    from kb.export import render_compendium_body

    sheets = reader().sheets()
    return render_template("recueil.html", body=render_compendium_body(sheets))


@bp.get("/recueil.css")
def recueil_css() -> Response:
    """The compendium's stylesheet, which the library owns (it is inlined in ``kb export``)."""
    from kb.export import compendium_css

    response = Response(compendium_css(), mimetype="text/css")
    response.cache_control.max_age = 3600
    return response
