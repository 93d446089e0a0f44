"""The API's answers to domain errors, registered once for every view of the blueprint."""

from __future__ import annotations

from flask import Blueprint

from app.errors import Error, ErrorDetail, json_answer
from model.estimator import OutsideCoverage
from model.property import InvalidProperty


def invalid(exc: InvalidProperty, message: str = "invalid request: see fields") -> ErrorDetail:
    """400: each bad field named, with its stable code (the first few, and their count)."""
    total = exc.total if exc.total > len(exc.errors) else None
    return ErrorDetail(status=400, message=message, fields=exc.errors, fields_total=total)


def outside(exc: OutsideCoverage) -> ErrorDetail:
    """422: the model cannot value this place; `code` says why."""
    return ErrorDetail(status=422, message=exc.reason, code=exc.code)


def late(seconds: float) -> ErrorDetail:
    """503 for a batch item not reached before the request's deadline: send it again."""
    message = f"not done within the request's {seconds:g} s deadline: send this home again"
    return ErrorDetail(status=503, message=message, code="deadline")


def register(bp: Blueprint) -> None:
    """Answer each domain error with its status and body, whichever view raised it."""

    from app.api.access import outcome

    @bp.errorhandler(InvalidProperty)
    def _invalid(exc: InvalidProperty):
        outcome().note(refused=["invalid"])
        return json_answer(Error(error=invalid(exc)), 400)

    @bp.errorhandler(OutsideCoverage)
    def _outside(exc: OutsideCoverage):
        outcome().note(refused=[exc.code])
        return json_answer(Error(error=outside(exc)), 422)
