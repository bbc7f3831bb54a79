"""Pages for facilitators: search, browse, one sheet (with downloads), the regional meetings."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Blueprint, Response, current_app, render_template, request, url_for

from kb.french import format_date
from kb.markdown_io import dump_sheet
from kb.rendering import render_markdown
from kb.search import normalise_filters
from kb.search_options import FILTER_FACETS, FILTERS
from kb.sessions import search_sessions, speaker_differences
from kb.sheet import PART_LABELS, SECTIONS, Sheet
from kb.vocabulary import FACET_LABELS, meetings, source_name, vocabulary
from web.documents import pdf_response
from web.extensions import search_budget
from web.forms import ContactRequestForm
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
        "facet_labels": FACET_LABELS,
    }


def current_args(query: str, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    args = {k: list(v) for k, v in filters.items()}
    if query:
        args = {"q": [query], **args}
    return args


@bp.get("/")
@search_budget
def search() -> tuple[str, int] | str:
    """The home page without a query or filters; the results page with them (``/?q=…``)."""
    filters = filters_from(request.args)
    if "q" not in request.args and not filters and "page" not in request.args:
        return home()
    query = request.args.get("q", "")[:500].strip()
    size = page_size()
    page = page_number()
    results = run_search(query, filters, size, (page - 1) * size)
    pages = max(1, -(-results.total // size))
    beyond = results.total > 0 and page > pages  # « page 99 » of a single page
    page_html = render_template(
        "search.html",
        query=query,
        results=results,
        page=page,
        pages=pages,
        beyond=beyond,
        facets=facets_view(results.ids, filters),
        filters=filters,
        args=current_args(query, filters),
        endpoint="practices.search",
        back=request.full_path.rstrip("?"),
    )
    return (page_html, 404) if beyond else page_html


def home() -> str:
    """What Recueil is, how many practices from which meetings, ways in, the latest sheets."""
    store = reader()
    ids = store.sheet_ids()
    counts = store.facet_counts(ids)
    latest = store.latest_published(5)
    by_meeting = [(m, counts["event"].get(m.id, 0)) for m in meetings().values()]

    def entries(facet: str) -> list[tuple[str, str, int]]:
        ranked = sorted(counts[facet].items(), key=lambda kv: (-kv[1], vocabulary().label(facet, kv[0])))
        return [(key, vocabulary().label(facet, key), n) for key, n in ranked]

    return render_template(
        "home.html",
        total=len(ids),
        by_meeting=by_meeting,
        themes=entries("themes"),
        publics=entries("publics"),
        latest=latest,
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
        back=request.full_path.rstrip("?"),
    )


BACK_KEYS = {"q", "page", "tri", "ordre", *FILTERS}


def back_link(value: str | None) -> str | None:
    """The results a sheet was opened from, for « Retour aux résultats »: only the search or the
    list of sheets, with their own arguments (never another site or page)."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path not in (url_for("practices.search"), url_for("practices.browse")):
        return None
    args = [(k, v) for k, v in parse_qsl(parts.query) if k in BACK_KEYS]
    return parts.path + (f"?{urlencode(args)}" if args else "")


def mail_link(sheet: Sheet, summary: str, link: str) -> str:
    """``mailto:`` with a French subject and message presenting the sheet (the sender picks who)."""
    subject = f"Une pratique de la clause sociale : {sheet.title}"
    body = (
        "Bonjour,\n\nCette pratique du Recueil des bonnes pratiques de la clause sociale "
        f"pourrait vous intéresser :\n\n{sheet.title}\n{summary}\n\n{link}\n"
    )
    return f"mailto:?subject={quote(subject)}&body={quote(body)}"


def sheet_context(found: Sheet) -> dict[str, Any]:
    """What the sheet's page and its PDF show besides the sheet itself."""
    publication = reader().publication(found.id)
    meeting = meetings().get(found.event or "")
    summary = publication.summary if publication else ""
    permalink = absolute_url("practices.sheet", sheet_id=found.id)
    return {
        "sheet": found,
        "rendered": {key: render_markdown(text) for key, text in found.sections.items()},
        "missing": found.missing_parts(),
        "meeting": meeting,
        "session": meeting.session(found.workshop) if meeting else None,
        "publication": publication,
        "summary": summary,
        "source": source_name(found.source),
        "permalink": permalink,
        "mail_link": mail_link(found, summary, permalink),
    }


def render_sheet(found: Sheet, contact_form: ContactRequestForm | None = None) -> str:
    state = shared()
    similar = []
    if state.ready:  # without the model, the page comes without its similar sheets
        similar = state.kb.similar(found.id, 5)
    return render_template(
        "sheet.html",
        **sheet_context(found),
        similar=similar,
        back=back_link(request.args.get("retour")),
        contact_form=contact_form or ContactRequestForm(),
        contact_open=contact_form is not None,
    )


@bp.get("/fiches/<sheet_id>")
def sheet(sheet_id: str) -> str:
    return render_sheet(published_or_404(sheet_id))


@bp.get("/fiches/<sheet_id>.pdf")
def sheet_pdf(sheet_id: str) -> Response:
    found = published_or_404(sheet_id)
    html = render_template("sheet_pdf.html", doc=sheet_context(found))
    return pdf_response(html, f"{found.id}.pdf", header=f"Recueil · {found.title}")


@bp.get("/fiches/<sheet_id>.md")
def sheet_markdown(sheet_id: str) -> Response:
    found = published_or_404(sheet_id)
    return Response(
        dump_sheet(found),
        content_type="text/markdown; charset=utf-8",
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


def selected_sheets() -> tuple[list[Sheet], str, dict[str, list[str]]]:
    """The published sheets of the compendium: all, or those of the query and filters in the URL
    (« le recueil de ces 4 fiches »), in the order of the results."""
    query = request.args.get("q", "")[:500].strip()
    filters = filters_from(request.args)
    if query or filters:
        return [hit.sheet for hit in run_search(query, filters, 100_000, 0).hits], query, filters
    return reader().sheets(), query, filters


def selection_label(query: str, filters: dict[str, list[str]]) -> str:
    """« recherche « insertion des jeunes » · Thème : Formation », for a compendium's cover."""
    parts = [f"recherche « {query} »"] if query else []
    parts += [f"{FILTER_LABELS[name][1]} : {value_label(name, v)}" for name, values in filters.items() for v in values]
    return " · ".join(parts)


def compendium_options(sheets: list[Sheet], query: str, filters: dict[str, list[str]]) -> dict[str, Any]:
    """What the compendium shows besides the sheets: their « En bref », the date, the selection."""
    summaries = reader().summaries([s.id for s in sheets])
    return {"summaries": summaries, "edited": format_date(date.today()), "selection": selection_label(query, filters)}


@bp.get("/recueil")
def recueil() -> str:
    """The compendium of the published sheets (or of a search's), grouped by theme, in the site's
    layout, with a way back, its PDF and print."""
    from kb.export import render_compendium_body

    sheets, query, filters = selected_sheets()
    body = render_compendium_body(sheets, **compendium_options(sheets, query, filters))
    return render_template("recueil.html", body=body, count=len(sheets), args=current_args(query, filters))


@bp.get("/recueil.pdf")
def recueil_pdf() -> Response:
    """The compendium as a PDF: the cover (date, number of sheets), a table of contents whose page
    numbers are the pages', the running header, « Page n sur N »."""
    from kb.export import render_recueil

    sheets, query, filters = selected_sheets()
    html = render_recueil(sheets, **compendium_options(sheets, query, filters))
    return pdf_response(html, "recueil-selection.pdf" if query or filters else "recueil.pdf")


@bp.get("/recueil.css")
def recueil_css() -> Response:
    """The compendium's stylesheet, which the library owns (it is inlined in ``kb export``)."""
    from kb.export import compendium_css

    response = Response(compendium_css(), mimetype="text/css")
    response.cache_control.max_age = 3600
    return response
