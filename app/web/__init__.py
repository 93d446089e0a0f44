"""The homeowners' site, in French."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import commune_views, explorer_views, views  # noqa: E402,F401  (register the routes)
