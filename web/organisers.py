"""Pages for organisers of the regional meetings: topic map, coverage, charts, workshop planner."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from kb.coverage import Coverage, coverage
from kb.planner import Proposal, candidates, choose, read_block, workshop_block
from kb.sessions import search_sessions
from kb.sheet import SHEET_ID
from kb.text import strip_controls
from kb.topics import Topic, rename, topics
from kb.vocabulary import FACETS, meetings, vocabulary
from web.charts import bar_chart
from web.extensions import search_budget
from web.forms import ActionForm
from web.knowledge import reader, shared

bp = Blueprint("organisers", __name__, url_prefix="/ateliers")
MAX_SPEAKERS = 8
MORE_CANDIDATES = 5
MAX_BLOCK = 20_000


def current_topics() -> tuple[list[Topic], Coverage]:
    """Topics and coverage for the corpus as it is now, computed once per change of the corpus."""
    state = shared()
    with state.topics_lock:  # computed by one thread (it may save the topic map), the others wait
        key = (reader().vectors_version, reader().topic_state)
        if state.topics is None or state.topics[0] != key:
            state.kb.current_index()  # bring the stored vectors up to date first
            found = topics(state.kb.store, state.kb.encoder.model_id)
            key = (reader().vectors_version, reader().topic_state)  # the map may just have been saved
            state.topics = (key, found, coverage(reader(), found))
        return state.topics[1], state.topics[2]


def chart_data() -> list[dict[str, object]]:
    sheets = reader().sheets()
    vocab = vocabulary()
    charts = []
    for facet, title in (("themes", "Pratiques par thème"), ("market_types", "Pratiques par type de marché")):
        counts = Counter(k for s in sheets for k in getattr(s, facet))
        items = [(vocab.label(facet, k), n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        charts.append({"id": f"par-{facet}", "title": title, "items": items})
    regions = Counter(s.region or "Non précisée" for s in sheets)
    charts.insert(
        1,
        {
            "id": "par-region",
            "title": "Pratiques par région",
            "items": sorted(regions.items(), key=lambda kv: (-kv[1], kv[0])),
        },
    )
    years = Counter(str(s.year) if s.year else "Non précisée" for s in sheets)
    charts.append({"id": "par-annee", "title": "Pratiques par année", "items": sorted(years.items())})
    for chart in charts:
        chart["svg"] = bar_chart(str(chart["id"]), str(chart["title"]), chart["items"])  # type: ignore[arg-type]
    return charts


@bp.get("")
def overview() -> str:
    found, report = current_topics()
    return render_template(
        "organisers/overview.html",
        topics=found,
        coverage=report,
        charts=chart_data(),
        facets=FACETS,
        action=ActionForm(),
        meetings=meetings(),
    )


@bp.post("/themes/regrouper")
def regroup_topics() -> WerkzeugResponse:
    """A moderator asks for the sheets to be grouped afresh (surviving topics keep their names)."""
    if not current_user.is_authenticated:
        abort(401)
    if not ActionForm().validate_on_submit():
        abort(400)
    state = shared()
    with state.topics_lock:
        topics(state.kb.store, state.kb.encoder.model_id, regroup=True)
        state.topics = None
    flash("Les fiches ont été regroupées à nouveau.")
    return redirect(url_for("organisers.overview") + "#sujets", 303)


@bp.post("/themes/<key>/renommer")
def rename_topic(key: str) -> WerkzeugResponse:
    if not current_user.is_authenticated:
        abort(401)
    form = ActionForm()
    name = " ".join(strip_controls(request.form.get("name", "")).split())
    if not form.validate_on_submit() or not 0 < len(name) <= 120:
        abort(400)
    found, _ = current_topics()
    topic = next((t for t in found if t.key == key), None)
    if topic is None:
        abort(404)
    state = shared()
    rename(state.kb.store, topic.members, name, current_user.id)
    flash("Thème renommé.")
    return redirect(url_for("organisers.overview") + "#sujets", 303)


@dataclass
class PlannerArgs:
    """The planner's state, all in the URL (or in the programme form's hidden fields)."""

    topic: str
    region: str | None
    speakers: int
    same: bool
    letter: str
    excluded: list[str]
    pinned: list[str]

    def query(self, **changes: object) -> dict[str, object]:
        """URL arguments for this state with some changed (for « Retirer », « Remplacer », « Ajouter »)."""
        values = {**asdict(self), **changes}
        return {
            "sujet": values["topic"],
            "region": values["region"] or "",
            "intervenants": values["speakers"],
            "lettre": values["letter"],
            "meme_structure": "1" if values["same"] else "",
            "exclure": values["excluded"],
            "ajouter": values["pinned"],
        }


def planner_args() -> PlannerArgs:
    topic = " ".join(request.values.get("sujet", "").split())[:300]
    region = request.values.get("region") or None
    if region not in (None, *vocabulary().regions):
        region = None
    try:
        speakers = min(max(int(request.values.get("intervenants", "3")), 1), MAX_SPEAKERS)
    except ValueError:
        speakers = 3
    letter = request.values.get("lettre", "A").strip()[:3] or "A"
    ids = [[i for i in request.values.getlist(name) if SHEET_ID.match(i)][:50] for name in ("exclure", "ajouter")]
    return PlannerArgs(topic, region, speakers, request.values.get("meme_structure") == "1", letter, *ids)


def planner_page(args: PlannerArgs, block: str | None = None, status: int = 200) -> tuple[str, int]:
    """The planner: proposals for the topic, more candidates, and the programme (``block`` when
    the organiser edited it, else the one made from the proposals)."""
    proposals: list[Proposal] = []
    more: list[Proposal] = []
    if args.topic:
        state = shared()
        ranked = candidates(state.kb, args.topic, args.region)
        proposals, more = choose(ranked, args.speakers, args.same, args.excluded, args.pinned)
    if block is None:
        block = workshop_block(args.topic, proposals, args.letter) if proposals else ""
    html = render_template(
        "organisers/planner.html",
        args=args,
        proposals=proposals,
        more=more[:MORE_CANDIDATES],
        block=block,
        programme=read_block(block) if block.strip() else None,
        matches=search_sessions(args.topic) if args.topic else [],
        edited=request.method == "POST",
        regions=vocabulary().regions,
        action=ActionForm(),
    )
    return html, status


@bp.get("/planifier")
@search_budget
def planner() -> tuple[str, int]:
    return planner_page(planner_args())


@bp.post("/planifier")
@search_budget
def programme() -> tuple[str, int] | Response:
    """The edited programme: its preview (what prints), or downloaded as Markdown or PDF."""
    if not ActionForm().validate_on_submit():
        abort(400)
    block = strip_controls(request.form.get("bloc", "")[:MAX_BLOCK]).replace("\r\n", "\n")
    args = planner_args()
    what = request.form.get("action", "apercu")
    if what == "apercu" or not block.strip():
        return planner_page(args, block, 200 if block.strip() else 400)
    found = read_block(block)
    if what == "pdf":
        from kb.pdf import render_pdf

        html = render_template("organisers/programme_pdf.html", programme=found)
        css = (Path(current_app.static_folder or "") / "programme.css").read_text(encoding="utf-8")
        data = render_pdf(
            html, request.url_root, header=f"{found.label} — {found.title}".strip(" —"), stylesheets=[css]
        )
        return Response(data, mimetype="application/pdf", headers=attachment(f"{found.filename}.pdf"))
    return Response(block, mimetype="text/markdown; charset=utf-8", headers=attachment(f"{found.filename}.md"))


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
