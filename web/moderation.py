"""Moderation: sign-in, the queue, review (edit, publish, reject, merge), published sheets, audit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from kb import contact, contributions
from kb.rendering import render_markdown
from kb.validation import problems
from web.extensions import configured_limit, limiter, login_manager
from web.forms import ActionForm, LoginForm, MergeForm, RejectForm, SheetFields, SummaryForm
from web.journal import differences, entry_view
from web.knowledge import reader, shared

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
PUBLISHABLE = (contributions.PENDING, contributions.UNPUBLISHED)


class Moderator(UserMixin):
    """``id`` is the name; the session stores ``session`` (name and session version) instead."""

    def __init__(self, name: str, session: str) -> None:
        self.id = name
        self.session = session

    def get_id(self) -> str:
        return self.session


@login_manager.user_loader
def load_user(session: str) -> Moderator | None:
    """Checked on every request: a session ended by sign-out or a new password loads no one."""
    name = contributions.session_user(reader(), session)
    return Moderator(name, session) if name else None


@bp.before_request
def only_moderators() -> Response | None:
    """Every route here but sign-in is for signed-in moderators only."""
    if request.endpoint != "moderation.login" and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(configured_limit("LOGIN_RATE_LIMIT"), methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        valid = contributions.check_user(reader(), form.name.data, form.password.data)
        if valid:
            login_user(Moderator(form.name.data, contributions.session_id(reader(), form.name.data)))
            session.pop("_flashes", None)  # « Connectez-vous… » was for before signing in
            target = request.args.get("next", "")
            local = target.startswith("/moderation") and "//" not in target and "\\" not in target
            return redirect(target if local else url_for("moderation.queue"), 303)
        form.password.errors = ["Identifiant ou mot de passe incorrect."]  # same words whether the name exists or not
        return render_template("moderation/login.html", form=form), 401  # type: ignore[return-value]
    return render_template("moderation/login.html", form=form)


@bp.post("/deconnexion")
def logout() -> Response:
    if ActionForm().validate_on_submit():
        shared().kb.store.end_sessions(current_user.id)  # every copy of the session cookie stops working too
        logout_user()
    return redirect(url_for("practices.search"), 303)


@bp.get("")
def queue() -> str:
    pending = contributions.queue(reader())
    targets = [sub.target_id for _, sub in pending if sub and sub.target_id]
    titles = {s.id: s.title for s in reader().sheets(targets)}
    return render_template("moderation/queue.html", pending=pending, titles=titles, action=ActionForm())


@bp.get("/publiees")
def published() -> str:
    sheets = sorted(reader().sheets(), key=lambda s: s.title.casefold())
    return render_template("moderation/published.html", sheets=sheets, action=ActionForm())


@bp.get("/journal")
def journal() -> str:
    entries = reader().audit_entries()
    return render_template("moderation/journal.html", entries=[entry_view(e) for e in entries])


def review_context(
    sheet_id: str, edit_form: SheetFields | None = None, summary_form: SummaryForm | None = None
) -> dict[str, Any]:
    record = reader().record(sheet_id)
    if record is None:
        abort(404)
    publication = reader().publication(sheet_id)
    submission = reader().submission_for(sheet_id)
    published = sorted(reader().sheets(), key=lambda s: s.title.casefold())
    target = reader().get_sheet(submission.target_id) if submission and submission.target_id else None
    if edit_form is None:
        edit_form = SheetFields()
        edit_form.fill_from(record.sheet)
    if summary_form is None:
        summary_form = SummaryForm()
        summary_form.summary.data = publication.summary if publication and publication.summary_edited else ""
    merge_form = MergeForm()
    candidates = {c["id"] for c in (submission.similar if submission else [])}
    merge_form.target.choices = [
        SelectChoice("", "Choisir une fiche publiée…"),
        *(SelectChoice(s.id, s.title, optgroup="Doublons possibles") for s in published if s.id in candidates),
        *(SelectChoice(s.id, s.title, optgroup="Autres fiches publiées") for s in published if s.id not in candidates),
    ]
    return {
        "target": target,
        "changes": differences(target.to_dict(), record.sheet.to_dict()) if target else [],
        "record": record,
        "sheet": record.sheet,
        "submission": submission,
        "edit_form": edit_form,
        "summary_form": summary_form,
        "publication": publication,
        "reject_form": RejectForm(),
        "merge_form": merge_form,
        "action": ActionForm(),
        "rendered": {k: render_markdown(v) for k, v in record.sheet.sections.items()},
        "label": contributions.STATUS_LABELS.get(record.status, record.status),
    }


@bp.get("/fiches/<sheet_id>")
def review(sheet_id: str) -> str:
    return render_template("moderation/review.html", **review_context(sheet_id))


@bp.post("/fiches/<sheet_id>/modifier")
def edit(sheet_id: str) -> str | Response:
    form = SheetFields()
    if form.validate_on_submit():
        state = shared()
        record = reader().record(sheet_id)
        if record is None:
            abort(404)
        sheet = form.to_sheet(sheet_id)
        sheet.source = record.sheet.source
        if record.sheet.date and sheet.date and record.sheet.date.startswith(sheet.date):
            sheet.date = record.sheet.date  # the form asks for a month: a known day stays
        reasons = problems(sheet)
        if not reasons:
            contributions.edit(state.kb, sheet, current_user.id)
            if request.form.get("then") == "publier" and record.status in PUBLISHABLE:
                contributions.publish(state.kb, sheet_id, current_user.id)
                flash("Fiche enregistrée et publiée : elle est visible dans la recherche.")
            else:
                flash("Fiche enregistrée.")
            return redirect(url_for("moderation.review", sheet_id=sheet_id), 303)
        form.title.errors = [*form.title.errors, "; ".join(reasons)]
    return render_template("moderation/review.html", **review_context(sheet_id, form)), 400  # type: ignore[return-value]


def act(sheet_id: str, do: Any, done: str) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    state = shared()
    try:
        do(state.kb)
    except KeyError:
        abort(409 if reader().record(sheet_id) else 404)
    flash(done)
    return redirect(url_for("moderation.review", sheet_id=sheet_id), 303)


@bp.post("/fiches/<sheet_id>/publier")
def publish(sheet_id: str) -> Response:
    return act(
        sheet_id,
        lambda kb: contributions.publish(kb, sheet_id, current_user.id),
        "Fiche publiée : elle est visible dans la recherche.",
    )


@bp.post("/fiches/<sheet_id>/depublier")
def unpublish(sheet_id: str) -> Response:
    return act(sheet_id, lambda kb: contributions.unpublish(kb, sheet_id, current_user.id), "Fiche dépubliée.")


@bp.post("/fiches/<sheet_id>/refuser")
def reject(sheet_id: str) -> str | Response:
    """Refusing asks for a reason, then for a confirmation (a second click on the page it shows)."""
    form = RejectForm()
    if not form.validate_on_submit():
        return render_template("moderation/review.html", **{**review_context(sheet_id), "reject_form": form}), 400  # type: ignore[return-value]
    if request.form.get("confirm") != "1":
        return render_template(
            "moderation/confirm.html", kind="refus", reason=form.reason.data.strip(), **review_context(sheet_id)
        )
    return act(
        sheet_id,
        lambda kb: contributions.reject(kb, sheet_id, current_user.id, form.reason.data.strip()),
        "Fiche refusée.",
    )


@bp.post("/fiches/<sheet_id>/fusionner")
def merge(sheet_id: str) -> str | Response:
    """Merging needs a chosen sheet, then a confirmation that names it."""
    target = request.form.get("target", "")
    if not ActionForm().validate_on_submit():
        abort(400)
    context = review_context(sheet_id)
    state = shared()
    chosen = reader().get_sheet(target) if target else None
    if chosen is None:
        context["merge_form"].target.errors = ["Choisissez la fiche publiée dans laquelle fusionner."]
        return render_template("moderation/review.html", **context), 400  # type: ignore[return-value]
    if request.form.get("confirm") != "1":
        return render_template("moderation/confirm.html", kind="fusion", chosen=chosen, **context)
    try:
        contributions.merge(state.kb, sheet_id, target, current_user.id)
    except KeyError:
        abort(409)
    flash("Fiche fusionnée dans la fiche publiée.")
    return redirect(url_for("moderation.review", sheet_id=target), 303)


@bp.post("/fiches/<sheet_id>/en-bref")
def edit_summary(sheet_id: str) -> str | Response:
    """« En bref »: sentences copied from the sheet (blank: the automatic extract)."""
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            contributions.edit_summary(shared().kb.store, sheet_id, form.summary.data or "", current_user.id)
        except KeyError:
            abort(404)
        except ValueError:
            form.summary.errors = [
                "Chaque phrase doit être recopiée de la fiche telle qu'elle y est écrite : « En bref » n'invente rien."
            ]
        else:
            flash("« En bref » enregistré.")
            return redirect(url_for("moderation.review", sheet_id=sheet_id), 303)
    return render_template("moderation/review.html", **review_context(sheet_id, summary_form=form)), 400  # type: ignore[return-value]


@bp.get("/mises-en-relation")
def contact_requests() -> str:
    """Requests to be put in touch: open ones first, then the handled ones."""
    store = reader()
    open_requests, handled = store.contact_requests(handled=False), store.contact_requests(handled=True)
    titles = {s.id: s.title for s in store.sheets({r.sheet_id for r in open_requests + handled}, status=None)}
    return render_template(
        "moderation/contact_requests.html",
        open_requests=open_requests,
        handled=list(reversed(handled)),
        titles=titles,
        action=ActionForm(),
    )


@bp.post("/mises-en-relation/<int:request_id>/traitee")
def contact_handled(request_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    closed = contact.mark_handled(shared().kb.store, request_id, current_user.id)
    if closed is None:
        abort(404)
    flash(f"Demande de {closed.name} marquée comme traitée.")
    return redirect(url_for("moderation.contact_requests"), 303)
