"""Settings in layers: code defaults, then `IMMOVAL_*` environment variables, then a mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

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
    # Address suggestions per IP and window: one request per keystroke pause.
    "SUGGEST_RATE_LIMIT": 120,
    "SUGGEST_RATE_WINDOW": 60,
}


def load_settings(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Fill `app.config` and refuse to run in production with the development secret."""
    app.config.update(DEFAULTS)
    app.config["HOME"] = str(home_from_env())
    app.config.from_prefixed_env("IMMOVAL")
    if config:
        app.config.update(config)
    if app.config["ENV"] == "production" and app.config["SECRET_KEY"] == DEV_SECRET:
        raise RuntimeError("IMMOVAL_SECRET_KEY must be set when IMMOVAL_ENV=production")
