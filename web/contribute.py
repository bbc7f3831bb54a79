"""The survey form: a contributor drafts a sheet, sees the closest published ones, submits it."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb import contributions
from kb.validation import problems
from web.extensions import configured_limit, limiter
from web.forms import ContributionForm
from web.knowledge import shared
from web.rendering import render_markdown
from web.urls import absolute_url

bp = Blueprint("contribute", __name__, url_prefix="/contribuer")


@bp.route("", methods=["GET", "POST"])
@limiter.limit(configured_limit("SUBMISSION_RATE_LIMIT"), methods=["POST"])
def form() -> str | Response:
    form = ContributionForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("contribute.html", form=form, preview=None, similar=None), status  # type: ignore[return-value]
    state = shared()
    with state.lock:
        sheet = form.to_sheet(contributions.new_sheet_id(state.kb.store, form.title.data))
        reasons = problems(sheet)
        if reasons:  # cannot happen through the form's own choices; a crafted request gets a message
            form.title.errors = [*form.title.errors, "La fiche n'est pas valide : " + "; ".join(reasons)]
            return render_template("contribute.html", form=form, preview=None, similar=None), 400  # type: ignore[return-value]
        if request.form.get("action") != "envoyer":
            similar = contributions.similar_published(state.kb, sheet)
            preview = {key: render_markdown(text) for key, text in sheet.sections.items()}
            return render_template("contribute.html", form=form, preview=preview, sheet=sheet, similar=similar)
        token = contributions.submit(state.kb, sheet, form.contact_name.data.strip(), form.contact_email.data.strip())
    return redirect(url_for("contribute.receipt", token=token), 303)


def submission_page(template: str, token: str, **extra: object) -> str:
    """The contributor's private pages: their submission, its sheet's title and status."""
    state = shared()
    with state.lock:
        found = contributions.submission(state.kb.store, token)
        record = state.kb.store.record(found.sheet_id) if found else None
    if found is None or record is None:
        abort(404)
    return render_template(template, submission=found, title=record.sheet.title, status=record.status, **extra)


@bp.get("/merci/<token>")
def receipt(token: str) -> str:
    return submission_page("receipt.html", token, link=absolute_url("contribute.status", token=token))


@bp.get("/suivi/<token>")
def status(token: str) -> str:
    return submission_page("status.html", token, labels=contributions.STATUS_LABELS)
