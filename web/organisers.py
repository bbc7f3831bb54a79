"""Pages for organisers of the regional meetings: topic map, coverage, charts, workshop planner."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from kb.coverage import Coverage, coverage
from kb.planner import plan, workshop_block
from kb.text import strip_controls
from kb.topics import Topic, rename, topics
from kb.vocabulary import FACETS, meetings, vocabulary
from web.charts import bar_chart
from web.extensions import search_budget
from web.forms import ActionForm
from web.knowledge import shared

bp = Blueprint("organisers", __name__, url_prefix="/ateliers")
MAX_SPEAKERS = 8


def current_topics() -> tuple[list[Topic], Coverage]:
    """Topics and coverage for the corpus as it is now, computed once per change of the corpus."""
    state = shared()
    with state.lock:
        key = (
            state.kb.store.vectors_version,
            state.kb.store.db.execute("SELECT count(*) FROM topic_names").fetchone()[0],
        )
        if state.topics is None or state.topics[0] != key:
            state.kb.index  # noqa: B018 - bring the stored vectors up to date first
            found = topics(state.kb.store, state.kb.encoder.model_id)
            state.topics = (key, found, coverage(state.kb.store, state.kb.encoder, found))
        return state.topics[1], state.topics[2]


def chart_data() -> list[dict[str, object]]:
    state = shared()
    with state.lock:
        sheets = state.kb.store.sheets()
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
    with state.lock:
        rename(state.kb.store, topic.members, name, current_user.id)
    flash("Thème renommé.")
    return redirect(url_for("organisers.overview") + "#sujets", 303)


def planner_args() -> tuple[str, str | None, int, bool, str]:
    topic = " ".join(request.values.get("sujet", "").split())[:300]
    region = request.values.get("region") or None
    if region not in (None, *vocabulary().regions):
        region = None
    try:
        speakers = min(max(int(request.values.get("intervenants", "3")), 1), MAX_SPEAKERS)
    except ValueError:
        speakers = 3
    letter = request.values.get("lettre", "A").strip()[:3] or "A"
    return topic, region, speakers, request.values.get("meme_structure") == "1", letter


@bp.get("/planifier")
@search_budget
def planner() -> str:
    topic, region, speakers, same, letter = planner_args()
    proposals, block = [], ""
    if topic:
        state = shared()
        with state.lock:
            proposals = plan(state.kb, topic, region, speakers, same)
        block = workshop_block(topic, proposals, letter) if proposals else ""
    return render_template(
        "organisers/planner.html",
        topic=topic,
        region=region,
        speakers=speakers,
        same=same,
        letter=letter,
        proposals=proposals,
        block=block,
        regions=vocabulary().regions,
        action=ActionForm(),
    )


@bp.post("/planifier.md")
def planner_markdown() -> Response:
    """The (edited) workshop block as a Markdown file."""
    if not ActionForm().validate_on_submit():
        abort(400)
    text = strip_controls(request.form.get("bloc", "")[:20_000]).replace("\r\n", "\n")
    return Response(
        text,
        mimetype="text/markdown; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="atelier.md"'},
    )
