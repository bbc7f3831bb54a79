"""French error pages, JSON errors under /api, and never a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from kb.encoder import EncoderError

MESSAGES = {
    400: "La demande n'est pas valide.",
    404: "Cette page n'existe pas.",
    405: "Cette méthode n'est pas acceptée ici.",
    413: "La demande est trop volumineuse.",
    429: "Trop de demandes : merci de patienter un instant.",
    500: "Une erreur interne s'est produite. Elle a été enregistrée ; merci de réessayer plus tard.",
    503: (
        "Ce service a besoin du modèle de recherche par le sens, qui n'a pas pu être chargé ; "
        "l'erreur a été enregistrée. La recherche par mots-clés reste disponible."
    ),
}

# Forms whose refused POSTs come back filled in, with the message (endpoint -> renderer): a
# contributor never loses a text to an expired token, a rate limit or an unavailable model.
FORM_KEEPERS: dict[str, Callable[[str, int], Any]] = {}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        message = error.description if getattr(error, "french", False) else MESSAGES.get(code, MESSAGES[400])
        # Keep the exception's own headers (Allow on a 405, Retry-After on a 429), not its body.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if request.path.startswith("/api/"):
            return jsonify(error={"status": code, "message": message}), code, headers
        keeper = FORM_KEEPERS.get(request.endpoint or "")
        if keeper and request.method == "POST" and code not in (413, 500):  # a 413's body is never read
            body, status = keeper(message, code)
            return body, status, headers
        return render_template("error.html", code=code, message=message), code, headers

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        then = "vérifiez-le" if request.endpoint in FORM_KEEPERS else "rechargez la page"
        return http_error(
            bad_request(f"Le formulaire a expiré ou ne vient pas de ce site : {then}, puis envoyez-le à nouveau.")
        )

    @app.errorhandler(EncoderError)
    def model_unavailable(error: EncoderError):  # type: ignore[no-untyped-def]
        app.logger.error("the embedding model is unavailable on %s: %s", request.path, error)
        return http_error(ServiceUnavailable())

    @app.errorhandler(Exception)
    def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error on %s", request.path)
        return http_error(InternalServerError())


def bad_request(message: str) -> HTTPException:
    """A 400 whose French message is shown to the user as it is."""
    from werkzeug.exceptions import BadRequest

    error = BadRequest(message)
    error.french = True  # type: ignore[attr-defined]
    return error
