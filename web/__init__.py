"""The Recueil web app: ``create_app`` builds it; one blueprint per concern."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask

from kb import config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; the knowledge base is opened once here and shared read-only by requests.

    ``KNOWLEDGE_BASE`` may carry an already-open ``KnowledgeBase`` (tests share one); otherwise it
    is opened from ``INDEX_DIR`` (default: ``KB_INDEX_DIR`` or ``index/``).
    """
    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=str(config.index_dir()),
        SECRET_KEY=os.environ.get("RECUEIL_SECRET_KEY") or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=1_000_000,
        JSON_SORT_KEYS=False,
        PAGE_SIZE=10,
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from web import api, errors, knowledge, practices, security

    knowledge.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(practices.bp)
    app.register_blueprint(api.bp)
    return app
