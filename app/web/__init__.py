"""The homeowners' site, in French."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from app.web import views  # noqa: E402,F401  (registers the routes on `bp`)
