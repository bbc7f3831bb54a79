"""The Recueil web app: ``create_app`` builds it; one blueprint per concern."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kb import config
from web import rate_storage
from web.secret import persistent_secret_key

WEAK_KEYS = {"dev", "devel", "secret", "changeme", "change-me", "default", "test", "tests", "password"}


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration (the message says why)."""


def check_secret_key(app: Flask) -> None:
    """Sessions and CSRF tokens are signed with the secret key: refuse a guessable one."""
    key = str(app.config.get("SECRET_KEY") or "")
    if app.testing or app.debug:
        return
    if key.lower() in WEAK_KEYS or len(key) < 32:
        raise ConfigurationError(
            "RECUEIL_SECRET_KEY is a default or too short (at least 32 random characters): "
            'set it, e.g. RECUEIL_SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_hex(32))")'
        )


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; the knowledge base is opened once here and shared read-only by requests.

    ``KNOWLEDGE_BASE`` may carry an already-open ``KnowledgeBase`` (tests share one); otherwise it
    is opened from ``INDEX_DIR`` (default: ``KB_INDEX_DIR`` or ``index/``).
    """
    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=str(config.index_dir()),
        SECRET_KEY=os.environ.get("RECUEIL_SECRET_KEY"),
        MAX_CONTENT_LENGTH=512 * 1024,  # a sheet is a few kilobytes; anything larger is refused (413)
        MAX_FORM_PARTS=200,
        PAGE_SIZE=10,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("RECUEIL_HTTPS") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a long survey form must not expire while it is being written
        RATELIMIT_HEADERS_ENABLED=True,
    )
    for name in ("SEARCH_RATE_LIMIT", "SUBMISSION_RATE_LIMIT", "LOGIN_RATE_LIMIT", "CONTACT_RATE_LIMIT"):
        if os.environ.get(f"RECUEIL_{name}"):
            app.config[name] = os.environ[f"RECUEIL_{name}"]
    if test_config:
        app.config.update(test_config)
    if hasattr(app.config.get("KNOWLEDGE_BASE"), "index_dir") and "INDEX_DIR" not in (test_config or {}):
        app.config["INDEX_DIR"] = str(app.config["KNOWLEDGE_BASE"].index_dir)
    # Rate-limit counters shared by every worker and kept across restarts (web/rate_storage.py).
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI",
        os.environ.get("RECUEIL_RATELIMIT_STORAGE_URI") or rate_storage.storage_uri(app.config["INDEX_DIR"]),
    )
    if not app.config["SECRET_KEY"]:  # kept in the index folder, so a restart keeps sessions and forms
        app.config["SECRET_KEY"] = persistent_secret_key(Path(app.config["INDEX_DIR"]))
    check_secret_key(app)
    proxies = os.environ.get("RECUEIL_TRUSTED_PROXIES", "0") or "0"
    if not proxies.isdigit():
        raise ConfigurationError(f"RECUEIL_TRUSTED_PROXIES is the number of reverse proxies in front, not {proxies!r}")
    if (proxies := int(proxies)) > 0:  # behind N proxies: client address, scheme, host, prefix from their headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from web import (
        api,
        contact,
        contribute,
        errors,
        formatting,
        forms,
        glossary,
        knowledge,
        moderation,
        organisers,
        practices,
        security,
        urls,
    )
    from web.extensions import csrf, limiter, login_manager

    urls.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    formatting.init_app(app)
    csrf.init_app(app)
    forms.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    app.register_blueprint(practices.bp)
    app.register_blueprint(contact.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(contribute.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(organisers.bp)
    glossary.init_app(app)
    csrf.exempt(api.bp)  # read-only GET routes, no cookie-based state
    knowledge.init_app(app)
    return app
