"""The API's views: parse a typed request, call the estimator, answer.

Domain errors are answered by `app.api.errors`, registered once for the blueprint.
"""

from __future__ import annotations

import json
from functools import cache

from flask import current_app, g, request
from werkzeug.exceptions import UnsupportedMediaType

from app import deadlines
from app.api import access, answers, bp, errors, spec
from app.api import models as api
from app.api.queries import PointQuery, parse_comparables_query, parse_neighbourhood_query
from app.coalescing import get_coalescer
from app.errors import json_answer
from app.geocoding import Location, get_geocoder
from app.model_store import ModelUnavailable, get_estimator
from app.requests import (
    ESTIMATE_FIELDS,
    parse_batch_request,
    parse_estimate_request,
    parse_single_estimate,
)
from model.estimator import OutsideCoverage
from model.property import FieldError, InvalidProperty

# Homes estimated at once in a batch: large enough for vectorised work, small enough to
# check the deadline often (100 explained homes take about 0.4 s).
ESTIMATE_CHUNK = 100

bp.before_request(access.authenticate)
bp.after_request(access.meter)
bp.teardown_request(access.release)
errors.register(bp)


def _json_body():
    """The request's JSON value; 415 when it is not JSON, 400 when it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with 'Content-Type: application/json'")
    raw = request.get_data(cache=False)  # 413 beyond MAX_CONTENT_LENGTH
    try:
        return json.loads(raw, parse_constant=_not_json, parse_int=_json_int)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad syntax and integers too long to convert.
        message = f"is not valid JSON ({exc})"[:300]
        raise InvalidProperty([FieldError("body", "type", message)]) from None


def _json_int(text: str) -> int | float:
    # Past 4,300 digits int() refuses (the whole body would fail): such a number is simply
    # huge, and validation answers `range` for its field.
    return int(text) if len(text) <= 100 else float("-inf" if text[0] == "-" else "inf")


def _not_json(name: str):
    # Python's reader takes NaN and Infinity; JSON has no such numbers.
    raise ValueError(f"{name} is not a JSON number")


def _estimator():
    estimator = get_estimator()
    g.model_version = str(estimator.version)
    return estimator


def _geocode(address: str) -> Location | None:
    return get_geocoder().geocode(address)


def _parse_json_estimate(data):
    return parse_estimate_request(data, _geocode, allowed_fields=ESTIMATE_FIELDS, typed=True)


def _point_location(point: PointQuery) -> Location:
    """The place of a GET query (its coordinates win over its address)."""
    if point.latitude is not None and point.longitude is not None:
        return Location(point.latitude, point.longitude, "coordinates", "coordinates")
    location = _geocode(point.address)
    if location is None:
        raise InvalidProperty([FieldError("address", "not_found", "could not be located")])
    return location


@bp.post("/estimates")
def create_estimate():
    """One home: the estimate, its range, explanation (unless `explain` is false),
    comparables and neighbourhood."""
    prop, location, explain = parse_single_estimate(_json_body(), _geocode)
    estimator = _estimator()
    estimate = get_coalescer().estimate(estimator, prop, explain=explain)
    access.outcome().note(confidences=[estimate.confidence])
    return json_answer(answers.estimate_answer(estimate, prop, location, estimator))


@bp.post("/estimates/batch")
def create_estimate_batch():
    """Up to 1000 homes; one result or one error per home, in the order given.

    The batch costs its number of items against the key's limit. Work stops at the
    request's deadline: the homes not reached get a 503 `deadline` error each.
    """
    batch = parse_batch_request(_json_body())
    g.items = len(batch.properties)
    refused = access.charge(len(batch.properties) - 1)
    if refused is not None:
        return refused
    deadline = deadlines.current()
    results: list = [None] * len(batch.properties)
    valid = []
    for index, item in enumerate(batch.properties):
        if deadline.expired():
            break
        try:
            prop, location = _parse_json_estimate(item)
        except InvalidProperty as exc:
            error = errors.invalid(exc, "invalid property: see fields")
            results[index] = answers.batch_failure(index, error)
        else:
            valid.append((index, prop, location))
    estimator = _estimator()
    for start in range(0, len(valid), ESTIMATE_CHUNK):
        if deadline.expired():
            break
        chunk = valid[start : start + ESTIMATE_CHUNK]
        estimates = estimator.estimate_many([p for _, p, _ in chunk], explain=batch.explain)
        for (index, prop, location), estimate in zip(chunk, estimates, strict=True):
            if isinstance(estimate, OutsideCoverage):
                results[index] = answers.batch_failure(index, errors.outside(estimate))
            else:
                results[index] = answers.batch_estimate(index, estimate, prop, location)
    late = errors.late(deadline.seconds)
    results = [r or answers.batch_failure(i, late) for i, r in enumerate(results)]
    access.outcome().note(
        refused=[r.error.code for r in results if isinstance(r, api.BatchFailure)],
        confidences=[r.estimate.confidence for r in results if isinstance(r, api.BatchEstimate)],
    )
    return json_answer(answers.batch_answer(results, estimator))


@bp.get("/comparables")
def list_comparables():
    """Past sales around a point, nearest first, filtered by type, surface, rooms, dates."""
    query = parse_comparables_query(request.args)
    location = _point_location(query.point)
    estimator = _estimator()
    comparables = estimator.comparables(
        location.latitude,
        location.longitude,
        property_type=query.property_type,
        living_area_range=query.living_area_range,
        rooms_range=query.rooms_range,
        date_from=query.date_from,
        date_to=query.date_to,
        radius_m=query.radius_m,
        limit=query.limit,
    )
    return json_answer(answers.comparables_answer(comparables, location, estimator))


@bp.get("/neighbourhood")
def get_neighbourhood():
    """Tranquillity summary and price indicators for a point (and its commune)."""
    query = parse_neighbourhood_query(request.args)
    location = _point_location(query.point)
    estimator = _estimator()
    code = (
        query.code_commune
        or location.code_commune
        or estimator.locate_commune(location.latitude, location.longitude)
    )
    summary = estimator.neighbourhood(
        location.latitude, location.longitude, code_commune=code, on=query.on
    )
    history = estimator.market_history(code) if code else []
    answer = answers.neighbourhood_answer(location, code, summary, history, estimator)
    return json_answer(answer)


@bp.get("/model")
def get_model():
    """The model being served: version, training window, data date, metrics."""
    return json_answer(answers.model_info(_estimator()))


@bp.get("/health")
def health():
    """Public: is a model being served, and which."""
    try:
        estimator = _estimator()
    except ModelUnavailable:
        return json_answer(answers.health_answer(None), 503)
    return json_answer(answers.health_answer(estimator))


@bp.get("/openapi.json")
def openapi():
    """Public: the OpenAPI 3.1 description of this API."""
    return current_app.response_class(_spec_text(request.script_root), mimetype="application/json")


@cache
def _spec_text(script_root: str) -> str:
    return json.dumps(spec.build_spec(f"{script_root}/api/v1"), ensure_ascii=False)
