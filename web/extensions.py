"""Flask extensions, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Counters live where RATELIMIT_STORAGE_URI says: by default a SQLite file shared by every worker
# and kept across restarts (web/rate_storage.py). Clients are told apart by their address; behind
# a reverse proxy, RECUEIL_TRUSTED_PROXIES makes that the real client's (ProxyFix).
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
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


QUERY_ARGS = ("q", "sujet")  # the query-string fields whose text is encoded by the model


def _encodes_nothing() -> bool:
    """Browsing without query text costs no encoding, so it spends no search budget."""
    return not any(request.values.get(name, "").strip() for name in QUERY_ARGS)


# ONE search budget per client, whichever route spends it: every route that encodes a query or
# compares vectors (search page, API search, facets, workshop planner, similar sheets) is
# decorated with one of these two, which count in the same "search" bucket.
search_budget = limiter.shared_limit(configured_limit("SEARCH_RATE_LIMIT"), "search", exempt_when=_encodes_nothing)
vector_budget = limiter.shared_limit(configured_limit("SEARCH_RATE_LIMIT"), "search")
