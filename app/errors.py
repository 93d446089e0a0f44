"""One error policy: JSON for API clients, a French HTML page for browsers.

`ErrorAnswer` is the JSON shape of every error (the spec's `Error`); `error_response`
chooses between it and the French page.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from pydantic import BaseModel, Field, model_serializer
from pydantic.json_schema import SkipJsonSchema
from werkzeug.exceptions import HTTPException

from app.model_store import ModelUnavailable
from model.property import FieldError

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


class ErrorDetail(BaseModel):
    """What went wrong; `fields`, `code` and `retry_after` only when they apply."""

    status: int
    message: str
    fields: list[FieldError] | SkipJsonSchema[None] = Field(
        None, description="Each bad field and why (400): the first 20 at most."
    )
    fields_total: int | SkipJsonSchema[None] = Field(
        None, description="How many fields were bad, when more than `fields` lists (400)."
    )
    code: str | SkipJsonSchema[None] = Field(
        None,
        description="Why an estimate is impossible (422), or `deadline` (503: a batch item "
        "not reached in time).",
    )
    retry_after: int | SkipJsonSchema[None] = Field(None, description="Seconds to wait (429).")

    # Absent rather than null: an error carries only what applies to it.
    @model_serializer(mode="wrap")
    def _without_absent(self, handler):
        return {k: v for k, v in handler(self).items() if v is not None}


class Error(BaseModel):
    """The body of every error answer of the API."""

    error: ErrorDetail


def json_answer(answer: BaseModel, status: int = 200):
    """A pydantic answer as a JSON response."""
    body = answer.model_dump_json(by_alias=True)
    return current_app.response_class(body, status=status, mimetype="application/json")


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
        answer = Error(error=ErrorDetail(status=status, message=message, **extra))
        return json_answer(answer, status), status
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
