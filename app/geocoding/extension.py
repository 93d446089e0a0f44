"""The geocoder of a Flask app: built once from its settings, kept in `app.extensions`."""

from __future__ import annotations

from pathlib import Path

from app.geocoding.geocoder import Geocoder

EXTENSION = "immoval.geocoder"


def reference_dir_for(home: str | Path) -> Path | None:
    """The champion bundle's `reference/`, else the prepared one."""
    from model.registry import read_champion
    from model.settings import layout

    paths = layout(home)
    version = read_champion(paths.models) if paths.models.is_dir() else None
    if version:
        bundled = paths.models / version / "reference"
        if (bundled / "communes.parquet").exists():
            return bundled
    if (paths.reference / "communes.parquet").exists():
        return paths.reference
    return None


def get_geocoder() -> Geocoder:
    """The geocoder of the current app, built once."""
    from flask import current_app

    geocoder = current_app.extensions.get(EXTENSION)
    if geocoder is None:
        config = current_app.config
        geocoder = Geocoder(
            config["GEOCODER_URL"],
            float(config["GEOCODER_TIMEOUT"]),
            lambda home=config["HOME"]: reference_dir_for(home),
        )
        current_app.extensions[EXTENSION] = geocoder
    return geocoder


def preload(app) -> bool:
    """Load the offline index up front (e.g. in gunicorn's `on_starting`, before forking)."""
    with app.app_context():
        return get_geocoder().index is not None
