"""The app's settings: every default in one place, then the environment, then the mapping."""

from __future__ import annotations

import pytest
from flask import Flask

from app.settings import DEFAULTS, DEV_SECRET, SettingsError, load_settings


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
    config = settings({"ENV": "production", "SECRET_KEY": "s3cret" * 6})
    assert config["SESSION_COOKIE_SECURE"] is True and config["SECRET_KEY"] != DEV_SECRET


@pytest.mark.parametrize("env", ["Production", "prod", "PRODUCTION", "", "staging", 1])
def test_only_known_environments_start(monkeypatch, env):
    monkeypatch.setenv("IMMOVAL_ENV", str(env))
    with pytest.raises(SettingsError, match="IMMOVAL_ENV=.*must be one of development, production"):
        settings()


@pytest.mark.parametrize("secret", ["", "abc", "x" * 31, "é" * 15])
def test_production_refuses_a_short_secret(monkeypatch, secret):
    monkeypatch.setenv("IMMOVAL_ENV", "production")
    monkeypatch.setenv("IMMOVAL_SECRET_KEY", secret)
    with pytest.raises(SettingsError, match="IMMOVAL_SECRET_KEY"):
        settings()
    monkeypatch.setenv("IMMOVAL_SECRET_KEY", "é" * 16)  # 32 bytes in UTF-8
    assert settings()["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("secret", ["", "123", "[]", "null"])
def test_a_secret_is_non_empty_text_in_any_environment(monkeypatch, secret):
    # The environment is read as JSON when it parses: "123" would be a number.
    monkeypatch.setenv("IMMOVAL_SECRET_KEY", secret)
    with pytest.raises(SettingsError, match="non-empty string"):
        settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("API_RATE_LIMIT", "lots"), ("FORM_RATE_WINDOW", "-5"), ("GEOCODER_TIMEOUT", "true")],
)
def test_a_number_setting_must_be_a_number(monkeypatch, name, value):
    monkeypatch.setenv(f"IMMOVAL_{name}", value)
    with pytest.raises(SettingsError, match=f"IMMOVAL_{name}="):
        settings()
