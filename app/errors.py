"""One error policy: JSON for API clients, a French HTML page for browsers."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app.model_store import ModelUnavailable

FRENCH_TITLES = {
    400: "Requête invalide",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Requête trop volumineuse",
    415: "Format non pris en charge",
    422: "Estimation impossible",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}


def wants_json() -> bool:
    """API paths and clients that prefer JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    accepted = request.accept_mimetypes
    best = accepted.best_match(["application/json", "text/html"])
    return best == "application/json" and accepted[best] > accepted["text/html"]


def error_response(status: int, message: str, **extra):
    """Render an error in the form the client asked for."""
    if wants_json():
        body = {"error": {"status": status, "message": message, **extra}}
        return jsonify(body), status
    title = FRENCH_TITLES.get(status, "Erreur")
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(ModelUnavailable)
    def _no_model(exc: ModelUnavailable):
        return error_response(503, str(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal error")
