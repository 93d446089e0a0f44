"""The app's settings: every default in one place, then the environment, then the mapping."""

from __future__ import annotations

import pytest
from flask import Flask

from app.settings import DEFAULTS, DEV_SECRET, load_settings


def settings(config=None) -> dict:
    app = Flask(__name__)
    load_settings(app, config)
    return app.config


def test_every_default_is_set_and_a_mapping_wins(monkeypatch):
    monkeypatch.setenv("IMMOVAL_API_RATE_LIMIT", "7")
    monkeypatch.setenv("IMMOVAL_FORM_RATE_WINDOW", "30")
    config = settings({"FORM_RATE_WINDOW": 10})
    for name, value in DEFAULTS.items():
        if name not in ("API_RATE_LIMIT", "FORM_RATE_WINDOW"):
            assert config[name] == value, name
    assert config["API_RATE_LIMIT"] == 7  # the environment over the code
    assert config["FORM_RATE_WINDOW"] == 10  # the mapping over the environment
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" and config["SESSION_COOKIE_HTTPONLY"]
    assert not config.get("SESSION_COOKIE_SECURE")


def test_production_needs_a_secret_and_secure_cookies():
    with pytest.raises(RuntimeError, match="IMMOVAL_SECRET_KEY"):
        settings({"ENV": "production"})
    config = settings({"ENV": "production", "SECRET_KEY": "s3cret"})
    assert config["SESSION_COOKIE_SECURE"] is True and config["SECRET_KEY"] != DEV_SECRET
