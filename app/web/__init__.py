"""The homeowners' site, in French."""

from flask import Blueprint

bp = Blueprint("web", __name__)
