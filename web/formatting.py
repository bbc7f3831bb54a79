"""French formatting in templates (Jinja filters from ``kb.french``) and French spacing applied
once to every HTML page the app sends, never to stored text or data downloads."""

from __future__ import annotations

from flask import Flask, Response

from kb.french import format_date, format_datetime, format_number, french_spacing, plural


def apply_french_spacing(response: Response) -> Response:
    if response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed:
        response.set_data(french_spacing(response.get_data(as_text=True)))
    return response


def init_app(app: Flask) -> None:
    app.add_template_filter(format_date, "date_fr")
    app.add_template_filter(format_datetime, "datetime_fr")
    app.add_template_filter(format_number, "number_fr")
    app.add_template_filter(plural, "plural")
    app.after_request(apply_french_spacing)
