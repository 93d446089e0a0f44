"""The agents' JSON API, under /api/v1."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import views  # noqa: E402,F401  (registers the routes on `bp`)


@bp.record_once
def _setup(state) -> None:
    # The API brings the app's database (keys, limits, usage log), used by the site too.
    from app.api.access import init_app

    init_app(state.app)
