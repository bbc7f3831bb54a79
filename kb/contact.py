"""« Demander une mise en relation »: a request stored for moderators, who put people in touch
by their own means. Recueil sends no e-mail and never shows a request or a contact publicly."""

from __future__ import annotations

from kb.contributions import audit
from kb.store import ContactRequest, Store


def request_contact(store: Store, sheet_id: str, name: str, email: str, message: str) -> int:
    """Store a request about a published sheet; its id. KeyError if the sheet is not published."""
    if store.get_sheet(sheet_id) is None:
        raise KeyError(sheet_id)
    return store.add_contact_request(sheet_id, name.strip(), email.strip(), message.strip())


def mark_handled(store: Store, request_id: int, user: str) -> ContactRequest | None:
    """« Traitée »: close an open request, with its audit entry; None if no such open request."""
    with store.transaction():
        if not store.mark_contact_handled(request_id, user):
            return None
        request = store.contact_request(request_id)
        assert request is not None
        note = f"demande de mise en relation n° {request_id}"
        audit(store, user, "contact-handled", request.sheet_id, None, None, note)
    return request
