"""« Demander une mise en relation »: the form under a sheet; requests go to the moderators only."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from werkzeug.wrappers import Response

from kb import contact
from web.extensions import configured_limit, limiter
from web.forms import ContactRequestForm
from web.knowledge import published_or_404, shared
from web.practices import render_sheet

bp = Blueprint("contact", __name__)


@bp.post("/fiches/<sheet_id>/mise-en-relation")
@limiter.limit(configured_limit("CONTACT_RATE_LIMIT"))
def request_contact(sheet_id: str) -> tuple[str, int] | Response:
    found = published_or_404(sheet_id)
    form = ContactRequestForm()
    if not form.validate_on_submit():
        return render_sheet(found, form), 400
    contact.request_contact(shared().kb.store, found.id, form.name.data, form.email.data, form.message.data)
    flash(
        "Merci, votre demande a bien été reçue. L'équipe de Recueil la transmettra aux personnes "
        "qui ont présenté cette pratique et vous répondra par e-mail."
    )
    return redirect(url_for("practices.sheet", sheet_id=found.id, _anchor="mise-en-relation"), 303)
