"""The survey form: a contributor drafts a sheet, sees the closest published ones, submits it
(or proposes it as an update of one of them)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb import contributions
from kb.rendering import render_markdown
from kb.sheet import Sheet
from kb.validation import problems
from kb.vocabulary import meetings
from web.errors import FORM_KEEPERS
from web.extensions import configured_limit, limiter
from web.forms import ContributionForm
from web.knowledge import reader, shared
from web.urls import absolute_url

bp = Blueprint("contribute", __name__, url_prefix="/contribuer")
UPDATE = "maj:"  # action prefix: « Proposer une mise à jour de cette fiche », then the sheet's id


def quoted(title: str) -> str:
    """A title between guillemets, unless it has its own (« « Chantier ouvert » : … » reads badly)."""
    return title if "«" in title or "»" in title else f"« {title} »"


bp.add_app_template_filter(quoted, "quoted")
bp.add_app_template_filter(contributions.duplicate_label, "duplicate_label")


def page(form: ContributionForm, status: int = 200, message: str | None = None, **extra: object) -> tuple[str, int]:
    context = {"preview": None, "similar": None, **extra}
    return render_template("contribute.html", form=form, message=message, **context), status


def refused(message: str, status: int) -> tuple[str, int]:
    """A POST refused before the form could be read through (expired form, too many requests,
    model unavailable): the same form again, with what was typed and the reason."""
    return page(ContributionForm(), status, f"{message} Votre texte est conservé ci-dessous.")


FORM_KEEPERS["contribute.form"] = refused


def preview_context(sheet: Sheet) -> dict[str, object]:
    meeting = meetings().get(sheet.event or "")
    return {
        "preview": {key: render_markdown(text) for key, text in sheet.sections.items()},
        "sheet": sheet,
        "meeting": meeting,
        "session": meeting.session(sheet.workshop) if meeting else None,
    }


@bp.route("", methods=["GET", "POST"])
@limiter.limit(configured_limit("SUBMISSION_RATE_LIMIT"), methods=["POST"])
def form() -> tuple[str, int] | Response:
    form = ContributionForm()
    if request.method == "GET":
        return page(form)
    if not form.validate_on_submit():
        return page(form, 400)
    action = request.form.get("action", "")
    state = shared()
    sheet = form.to_sheet(contributions.new_sheet_id(reader(), form.title.data))
    reasons = problems(sheet)
    if reasons:  # cannot happen through the form's own choices; a crafted request gets a message
        return page(form, 400, "La fiche n'est pas valide : " + "; ".join(reasons))
    target = action.removeprefix(UPDATE) if action.startswith(UPDATE) else None
    if target is not None and reader().get_sheet(target) is None:
        return page(form, 400, "La fiche à mettre à jour n'est pas (ou plus) publiée.")
    if action != "envoyer" and target is None:
        similar = contributions.similar_published(state.kb, sheet)
        return page(form, similar=similar, **preview_context(sheet))
    token = contributions.submit(
        state.kb, sheet, form.contact_name.data.strip(), form.contact_email.data.strip(), target_id=target
    )
    return redirect(url_for("contribute.receipt", token=token), 303)


def submission_page(template: str, token: str, **extra: object) -> str:
    """The contributor's private pages: their submission, its sheet's title and status."""
    found = reader().submission(token)
    record = reader().record(found.sheet_id) if found else None
    target = reader().record(found.target_id) if found and found.target_id else None
    if found is None or record is None:
        abort(404)
    return render_template(
        template,
        submission=found,
        title=record.sheet.title,
        status=record.status,
        target=target.sheet if target else None,
        labels=contributions.STATUS_LABELS,
        **extra,
    )


@bp.get("/merci/<token>")
def receipt(token: str) -> str:
    return submission_page("receipt.html", token, link=absolute_url("contribute.status", token=token))


@bp.get("/suivi/<token>")
def status(token: str) -> str:
    return submission_page("status.html", token)
