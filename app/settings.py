"""Settings in layers: code defaults, then `IMMOVAL_*` environment variables, then a mapping.

`DEFAULTS` holds every setting of the app and its default, in one place. The result is
checked before anything serves (`SettingsError` names the variable): a known `ENV`, a
secret of at least `MIN_SECRET_BYTES` in production, numbers where numbers are expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.model_store import POINTER_CHECK_SECONDS
from app.usage import FLUSH_SECONDS
from model.settings import home_from_env

DEV_SECRET = "dev-only-not-secret"
ENVIRONMENTS = ("development", "production")
MIN_SECRET_BYTES = (
    32  # 256 bits: what `python -c "import secrets; print(secrets.token_hex())"` gives
)


class SettingsError(RuntimeError):
    """A setting the app cannot run with; the message names its variable."""


DEFAULTS: dict[str, Any] = {
    "ENV": "development",  # IMMOVAL_ENV=production refuses a default secret
    "SECRET_KEY": DEV_SECRET,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # BAN search API; empty disables it and the offline address index answers alone.
    "GEOCODER_URL": "https://api-adresse.data.gouv.fr/search/",
    "GEOCODER_TIMEOUT": 1.5,
    "DATABASE_URL": None,  # default: sqlite under IMMOVAL_HOME
    # How long a request waits for a database lock before going on without the database
    # (limits let it through, usage rows stay buffered): a locked database must not
    # cost every request seconds.
    "DATABASE_BUSY_SECONDS": 0.2,
    "MODEL_CHECK_SECONDS": POINTER_CHECK_SECONDS,  # how often a worker looks for a new champion
    # Work of one request stops here (a batch answers the rest as not done), below
    # gunicorn's 30 s timeout, which gthread workers do not enforce.
    "REQUEST_DEADLINE_SECONDS": 20.0,
    # The API: items per key and window (a request costs 1, a batch its number of items),
    # unless the key has its own limit; a full batch of 1000 fits in one window.
    "API_RATE_LIMIT": 1000,
    "API_RATE_WINDOW": 60,  # seconds
    "API_KEY_CACHE_SECONDS": 5.0,
    # Requests of one key answered at once by one worker (of its IMMOVAL_THREADS): the
    # other threads stay free for /health, the site and the other keys. 0: no cap.
    "API_KEY_CONCURRENCY": 2,  # how long a revocation may take to reach a worker
    "USAGE_FLUSH_SECONDS": FLUSH_SECONDS,
    # The site's estimate form, per IP and window.
    "FORM_RATE_LIMIT": 20,
    "FORM_RATE_WINDOW": 60,  # seconds
    # The sales explorer's pages and exports, per IP and window.
    "EXPLORE_RATE_LIMIT": 60,
    "EXPLORE_RATE_WINDOW": 60,
    # Address suggestions per IP and window: one request per keystroke pause.
    "SUGGEST_RATE_LIMIT": 120,
    "SUGGEST_RATE_WINDOW": 60,
    # Map tiles, fetched by the visitor's browser: each request tells the provider where
    # the map is. The public OpenStreetMap servers are for light use only (their tile
    # usage policy): a production site sets its own provider. Empty URL: no background map.
    "MAP_TILES_URL": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "MAP_TILES_ATTRIBUTION": '© <a href="https://www.openstreetmap.org/copyright">'
    "OpenStreetMap contributors</a>",
    "MAP_TILES_MAX_ZOOM": 19,
    # The session cookie (it holds the CSRF token): out of scripts' reach, and not sent
    # with other sites' form posts.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}


def load_settings(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Fill `app.config` and refuse to run in production with the development secret."""
    app.config.update(DEFAULTS)
    app.config["HOME"] = str(home_from_env())
    app.config.from_prefixed_env("IMMOVAL")
    if config:
        app.config.update(config)
    check_settings(app.config)
    if app.config["ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True  # production is served over HTTPS only


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with a setting that would fail later, or silently weaken security."""
    env = config["ENV"]
    if env not in ENVIRONMENTS:
        raise SettingsError(f"IMMOVAL_ENV={env!r}: must be one of {', '.join(ENVIRONMENTS)}")
    secret = config["SECRET_KEY"]
    # from_prefixed_env reads "123" as a number: a secret is text.
    if not isinstance(secret, str | bytes) or not secret:
        raise SettingsError("IMMOVAL_SECRET_KEY must be a non-empty string")
    if env == "production":
        if secret == DEV_SECRET:
            raise SettingsError("IMMOVAL_SECRET_KEY must be set when IMMOVAL_ENV=production")
        size = len(secret.encode() if isinstance(secret, str) else secret)
        if size < MIN_SECRET_BYTES:
            raise SettingsError(
                f"IMMOVAL_SECRET_KEY has {size} bytes: production needs {MIN_SECRET_BYTES} or "
                "more (python -c 'import secrets; print(secrets.token_hex())')"
            )
    for name, default in DEFAULTS.items():
        value = config.get(name)
        if isinstance(default, int | float) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SettingsError(f"IMMOVAL_{name}={value!r}: must be a number, 0 or more")
