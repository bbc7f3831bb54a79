"""French error pages, JSON errors under /api, and never a stack trace."""

from __future__ import annotations

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


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        message = error.description if getattr(error, "french", False) else MESSAGES.get(code, MESSAGES[400])
        # Keep the exception's own headers (Allow on a 405, Retry-After on a 429), not its body.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if request.path.startswith("/api/"):
            return jsonify(error={"status": code, "message": message}), code, headers
        return render_template("error.html", code=code, message=message), code, headers

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return http_error(
            bad_request(
                "Le formulaire a expiré ou ne vient pas de ce site : rechargez la page, puis envoyez-le à nouveau."
            )
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
