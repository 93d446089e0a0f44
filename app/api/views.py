"""The API's views: parse a typed request, call the estimator, map domain errors, answer."""

from __future__ import annotations

import dataclasses
import json
from functools import cache

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from app.api import access, answers, bp, spec
from app.api.queries import PointQuery, parse_comparables_query, parse_neighbourhood_query
from app.errors import error_response
from app.geocoding import Location, get_geocoder
from app.labels.tranquillity import describe_tranquillity
from app.model_store import ModelUnavailable, get_estimator
from app.requests import ESTIMATE_FIELDS, parse_estimate_request
from model.estimator import OutsideCoverage
from model.property import FieldError, InvalidProperty

bp.before_request(access.authenticate)
bp.after_request(access.meter)

BATCH_FIELDS = ("properties", "explain")


@bp.errorhandler(InvalidProperty)
def _invalid(exc: InvalidProperty):
    return error_response(
        400, "invalid request: see fields", fields=answers.field_errors(exc.errors)
    )


def _outside(exc: OutsideCoverage) -> dict:
    return answers.error_body(422, exc.reason, code=exc.code)


def _outside_response(exc: OutsideCoverage):
    return error_response(422, exc.reason, code=exc.code)


def _json_body():
    """The request's JSON value; 415 when it is not JSON, 400 when it does not parse."""
    if not request.is_json:
        raise UnsupportedMediaType("send a JSON body with 'Content-Type: application/json'")
    raw = request.get_data(cache=False)  # 413 beyond MAX_CONTENT_LENGTH
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad syntax and integers too long to convert.
        message = f"is not valid JSON ({exc})"[:300]
        raise InvalidProperty([FieldError("body", "type", message)]) from None


def _estimator():
    estimator = get_estimator()
    g.model_version = str(estimator.version)
    return estimator


def _geocode(address: str) -> Location | None:
    return get_geocoder().geocode(address)


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
    """One home: the estimate, its range, explanation, comparables and neighbourhood."""
    data = _json_body()
    prop, location = parse_estimate_request(
        data, _geocode, allowed_fields=ESTIMATE_FIELDS, typed=True
    )
    estimator = _estimator()
    try:
        estimate = estimator.estimate(prop)
    except OutsideCoverage as exc:
        return _outside_response(exc)
    return jsonify(answers.estimate_answer(estimate, prop, location, estimator))


@bp.post("/estimates/batch")
def create_estimate_batch():
    """Up to 1000 homes; one result or one error per home, in the order given."""
    data = _json_body()
    items, explain = _batch_request(data)
    g.items = len(items)
    results: list[dict | None] = [None] * len(items)
    valid = []
    for index, item in enumerate(items):
        try:
            prop, location = parse_estimate_request(
                item, _geocode, allowed_fields=ESTIMATE_FIELDS, typed=True
            )
        except InvalidProperty as exc:
            results[index] = {
                "index": index,
                "status": 400,
                "error": answers.error_body(
                    400, "invalid property: see fields", fields=answers.field_errors(exc.errors)
                ),
            }
        else:
            valid.append((index, prop, location))
    estimator = _estimator()
    estimates = estimator.estimate_many([p for _, p, _ in valid], explain=explain) if valid else []
    for (index, prop, location), estimate in zip(valid, estimates, strict=True):
        if isinstance(estimate, OutsideCoverage):
            results[index] = {"index": index, "status": 422, "error": _outside(estimate)}
        else:
            results[index] = {
                "index": index,
                "status": 200,
                **answers.estimate_parts(estimate, prop, location),
            }
    statuses = [r["status"] for r in results]
    return jsonify(
        {
            "results": results,
            "summary": {
                "estimated": statuses.count(200),
                "invalid": statuses.count(400),
                "outside_coverage": statuses.count(422),
            },
            "model": answers.model_ref(estimator),
        }
    )


def _batch_request(data) -> tuple[list, bool]:
    if not isinstance(data, dict):
        raise InvalidProperty([FieldError("body", "type", "must be an object with 'properties'")])
    errors = [
        FieldError(str(name), "unknown", "is not a known field", {"allowed": list(BATCH_FIELDS)})
        for name in data
        if name not in BATCH_FIELDS
    ]
    items = data.get("properties")
    if items is None:
        errors.append(FieldError("properties", "required", "is required"))
    elif not isinstance(items, list):
        errors.append(FieldError("properties", "type", "must be a list of properties"))
    elif not 1 <= len(items) <= spec.BATCH_MAX:
        errors.append(
            FieldError(
                "properties",
                "range",
                f"must hold between 1 and {spec.BATCH_MAX} properties",
                {"min": 1, "max": spec.BATCH_MAX},
            )
        )
    # Explanations cost ~20 times the estimate itself: a batch asks for them explicitly.
    explain = data.get("explain", False)
    if not isinstance(explain, bool):
        errors.append(FieldError("explain", "type", "must be true or false"))
    if errors:
        raise InvalidProperty(errors)
    return items, explain


@bp.get("/comparables")
def list_comparables():
    """Past sales around a point, nearest first, filtered by type, surface, rooms, dates."""
    query = parse_comparables_query(request.args)
    location = _point_location(query.point)
    estimator = _estimator()
    try:
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
    except OutsideCoverage as exc:
        return _outside_response(exc)
    return jsonify(
        {
            "comparables": [answers.comparable_answer(c) for c in comparables],
            "location": answers.location_answer(location),
            "model": answers.model_ref(estimator),
        }
    )


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
    try:
        summary = estimator.neighbourhood(
            location.latitude, location.longitude, code_commune=code, on=query.on
        )
        history = estimator.market_history(code) if code else []
    except OutsideCoverage as exc:
        return _outside_response(exc)
    summary = dataclasses.replace(summary, tranquillity=describe_tranquillity(summary.tranquillity))
    return jsonify(
        {
            "location": answers.location_answer(location),
            "code_commune": code,
            "neighbourhood": answers.jsonable(summary) or {},
            "market_history": answers.jsonable(list(history)),
            "model": answers.model_ref(estimator),
        }
    )


@bp.get("/model")
def get_model():
    """The model being served: version, training window, data date, metrics."""
    estimator = _estimator()
    metadata = estimator.metadata or {}
    return jsonify(
        {
            "version": str(estimator.version),
            "data_until": answers.model_ref(estimator)["data_until"],
            "departements": sorted(getattr(estimator, "departements", ()) or ()),
            "training_window": answers.training_window(metadata.get("training_window")),
            "metrics": answers.evaluation_metrics(metadata.get("evaluation")),
        }
    )


@bp.get("/health")
def health():
    """Public: is a model being served, and which."""
    try:
        estimator = _estimator()
    except ModelUnavailable:
        return jsonify({"status": "unavailable", "model_version": None, "data_until": None}), 503
    return jsonify({"status": "ok", **_health_model(estimator)})


def _health_model(estimator) -> dict:
    ref = answers.model_ref(estimator)
    return {"model_version": ref["version"], "data_until": ref["data_until"]}


@bp.get("/openapi.json")
def openapi():
    """Public: the OpenAPI 3.1 description of this API."""
    return current_app.response_class(_spec_text(request.script_root), mimetype="application/json")


@cache
def _spec_text(script_root: str) -> str:
    return json.dumps(spec.build_spec(f"{script_root}/api/v1"), ensure_ascii=False)
