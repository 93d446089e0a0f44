"""The web application: the homeowners' site (`web`) and the agents' JSON API (`api`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.settings import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings in layers, the champion model, the two blueprints."""
    app = Flask(__name__, template_folder="../templates")
    load_settings(app, config)

    from app import deadlines, errors, model_store, security
    from app.api import bp as api_bp
    from app.web import bp as web_bp

    deadlines.init_app(app)
    model_store.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    app.register_blueprint(web_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    return app
