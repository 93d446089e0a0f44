"""Security for the whole app: CSRF tokens for the site's forms, response headers, noindex.

CSRF: a random token kept in Flask's signed session cookie and echoed by each form (hidden
field `csrf_token`) or by the form's script (header `X-CSRF-Token`); compared in constant time.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, session

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def tile_origin(url_template: str | None) -> str:
    """The origin of the map tiles' URL template (`MAP_TILES_URL`), "" when none.

    Subdomain templates (`https://{s}.tile.example.org/…`) become a wildcard origin.
    """
    parts = urlsplit(url_template or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


@functools.lru_cache(maxsize=8)
def content_security_policy(tiles: str) -> str:
    """Everything from us; images also from the map tiles' origin (`tiles`, may be "")."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data:{' ' + tiles if tiles else ''}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # OpenStreetMap's tile policy asks for a referer; send our origin only, never the path.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Pages a search engine may index: the home page and robots.txt. Everything else is built
# from DVF (estimates, comparables, API answers) and must not be indexed (DVF reuse terms).
INDEXABLE_PATHS = frozenset({"/", "/robots.txt"})


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


# Methods that change nothing: the only ones a page may receive without the token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require_csrf() -> None:
    """Before each request of a blueprint: refuse an unsafe method without the token."""
    if request.method not in SAFE_METHODS:
        check_csrf()


def check_csrf() -> None:
    """Abort with 400 unless the request carries the session's token."""
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), str(sent)):
        abort(
            400,
            description="Le formulaire a expiré ou n'a pas été envoyé depuis ce site : "
            "rechargez la page et réessayez.",
        )


def _headers(response):
    tiles = tile_origin(current_app.config.get("MAP_TILES_URL"))
    response.headers.setdefault("Content-Security-Policy", content_security_policy(tiles))
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Estimates, comparables and the pages holding a CSRF token are one visitor's: no
    # browser or proxy keeps them. Only the static files may be cached.
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if request.path not in INDEXABLE_PATHS:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if current_app.config.get("ENV") == "production":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    """Headers on every response; `csrf_token()` in templates (cookie settings: settings.py)."""
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
