"""Settings in layers: code defaults, then `IMMOVAL_*` environment variables, then a mapping.

`DEFAULTS` holds every setting of the app and its default, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.model_store import POINTER_CHECK_SECONDS
from app.usage import FLUSH_SECONDS
from model.settings import home_from_env

DEV_SECRET = "dev-only-not-secret"

DEFAULTS: dict[str, Any] = {
    "ENV": "development",  # IMMOVAL_ENV=production refuses a default secret
    "SECRET_KEY": DEV_SECRET,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # BAN search API; empty disables it and the offline address index answers alone.
    "GEOCODER_URL": "https://api-adresse.data.gouv.fr/search/",
    "GEOCODER_TIMEOUT": 1.5,
    "DATABASE_URL": None,  # default: sqlite under IMMOVAL_HOME
    "MODEL_CHECK_SECONDS": POINTER_CHECK_SECONDS,  # how often a worker looks for a new champion
    # The API: requests per key and window, unless the key has its own limit.
    "API_RATE_LIMIT": 600,
    "API_RATE_WINDOW": 60,  # seconds
    "API_KEY_CACHE_SECONDS": 5.0,  # how long a revocation may take to reach a worker
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
    if app.config["ENV"] == "production":
        if app.config["SECRET_KEY"] == DEV_SECRET:
            raise RuntimeError("IMMOVAL_SECRET_KEY must be set when IMMOVAL_ENV=production")
        app.config["SESSION_COOKIE_SECURE"] = True  # production is served over HTTPS only
