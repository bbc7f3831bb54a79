"""« Glossaire »: the field's terms and acronyms, each with its English equivalents, its public
source and a link that searches for it; and the ``explain_acronyms`` template filter."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from kb.glossary import entries, explain_acronyms, tag_label

bp = Blueprint("glossary", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_filter(explain_acronyms, "explain_acronyms")


@bp.get("/glossaire")
def glossary() -> str:
    ordered = sorted(entries(), key=lambda e: e.anchor)
    tags = {e.term: [found[1] for key in e.tags if (found := tag_label(key))] for e in ordered}
    return render_template("glossary.html", entries=ordered, tags=tags)
