"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Counters live in each process's memory: with N gunicorn workers a client gets at most N times
# the limit, which still bounds abuse; a shared store (memcached, redis) would make it exact.
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)
login_manager = LoginManager()
login_manager.login_view = "moderation.login"
login_manager.login_message = "Connectez-vous pour accéder à la modération."
login_manager.session_protection = "strong"

DEFAULT_LIMITS = {
    "SEARCH_RATE_LIMIT": "120 per minute",
    "SUBMISSION_RATE_LIMIT": "10 per minute; 40 per hour",
    "LOGIN_RATE_LIMIT": "5 per minute; 30 per hour",
    "CONTACT_RATE_LIMIT": "5 per minute; 20 per hour",
}


def configured_limit(key: str) -> Callable[[], str]:
    """The limit named ``key`` in the app's configuration (read per request, so tests can change it)."""
    return lambda: current_app.config.get(key, DEFAULT_LIMITS[key])
