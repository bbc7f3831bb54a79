"""Absolute URLs (canonical link, permalink, private status link, API server, link previews).

The request's ``Host`` header is chosen by the client: reflecting it would let anyone make the
site publish links to another host (cache poisoning, a contributor's private link sent elsewhere).
So absolute URLs come from ``RECUEIL_BASE_URL`` when set; otherwise (local use) from the request
only when its host is trusted (``RECUEIL_TRUSTED_HOSTS``, default localhost and 127.0.0.1, any
port); otherwise they stay root-relative, which a browser resolves against the host it reached.

Flask's own ``TRUSTED_HOSTS`` setting is not used: it refuses such requests outright, and a
deployment that forgot ``RECUEIL_BASE_URL`` would then answer nothing but errors.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for

DEFAULT_TRUSTED_HOSTS = ("localhost", "127.0.0.1")


class BaseUrlError(ValueError):
    """``RECUEIL_BASE_URL`` is not an http(s) URL."""


def init_app(app: Flask) -> None:
    base = app.config.get("BASE_URL") or os.environ.get("RECUEIL_BASE_URL") or ""
    if base and (urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).hostname):
        raise BaseUrlError(f"RECUEIL_BASE_URL must be an http(s) URL such as https://recueil.example.org, not {base!r}")
    app.config["BASE_URL"] = base.rstrip("/")
    hosts = app.config.get("URL_TRUSTED_HOSTS") or os.environ.get("RECUEIL_TRUSTED_HOSTS", "")
    if isinstance(hosts, str):
        hosts = [h.strip().lower() for h in hosts.split(",") if h.strip()]
    app.config["URL_TRUSTED_HOSTS"] = tuple(hosts) or DEFAULT_TRUSTED_HOSTS
    app.jinja_env.globals["absolute_url"] = absolute_url


def site_root() -> str:
    """The public scheme and host (and path prefix) of the site, or "" when none can be trusted."""
    if current_app.config["BASE_URL"]:
        return current_app.config["BASE_URL"]
    try:
        hostname = urlsplit(f"//{request.host}").hostname
    except ValueError:  # a malformed Host header
        return ""
    if hostname in current_app.config["URL_TRUSTED_HOSTS"]:
        return request.host_url.rstrip("/")
    return ""


def absolute_url(endpoint: str, **values: object) -> str:
    """``url_for`` made absolute from the trusted site root (root-relative when there is none)."""
    path = url_for(endpoint, **values)
    root = site_root()
    if root and current_app.config["BASE_URL"]:
        path = path.removeprefix(request.script_root)  # the base URL carries the public prefix
    return root + path
