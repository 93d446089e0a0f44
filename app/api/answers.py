"""Domain objects to JSON answers: pure functions, field names in English, ISO dates."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.geocoding import Location
from app.labels.contributions import contribution_label
from app.labels.tranquillity import describe_tranquillity
from model.explain import Contribution
from model.property import FieldError, Property


def jsonable(value: Any) -> Any:
    """Plain JSON values: ISO dates, None for NaN and infinities, lists for tuples and sets."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if hasattr(value, "item"):  # numpy and pandas scalars
        return jsonable(value.item())
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return str(value)


def euros(value: Any) -> int | None:
    """Whole euros; None when unknown."""
    number = _number(value)
    return None if number is None else int(round(number))


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)[:10]


def model_ref(estimator) -> dict:
    """Which model answered, and the date its data runs to."""
    return {"version": str(estimator.version), "data_until": _day(estimator.data_until)}


def location_answer(location: Location) -> dict:
    return {
        "latitude": float(location.latitude),
        "longitude": float(location.longitude),
        "precision": location.precision,
        "source": location.source,
        "label": location.label,
        "code_commune": location.code_commune,
        "postcode": location.postcode,
    }


def property_answer(prop: Property) -> dict:
    return {
        "property_type": prop.property_type,
        "living_area_m2": prop.living_area_m2,
        "rooms": prop.rooms,
        "land_area_m2": prop.land_area_m2,
        "outbuildings": prop.outbuildings,
        "valuation_date": prop.valuation_date.isoformat(),
    }


def comparable_answer(comparable) -> dict:
    rooms = getattr(comparable, "rooms", None)
    return {
        "mutation_id": str(comparable.mutation_id),
        "date": _day(comparable.date),
        "property_type": comparable.property_type,
        "living_area_m2": _number(comparable.living_area_m2),
        "rooms": None if rooms is None or _number(rooms) is None else int(rooms),
        "land_area_m2": _number(comparable.land_area_m2),
        "price": _number(comparable.price),
        "price_per_m2": _number(comparable.price_per_m2),
        "distance_m": _number(comparable.distance_m),
        "latitude": _number(comparable.latitude),
        "longitude": _number(comparable.longitude),
        "street": _text(comparable.street),
        "code_commune": _text(comparable.code_commune),
        "commune_name": _text(comparable.commune_name),
    }


def contribution_answer(contribution: Contribution) -> dict:
    """One contribution to the price: its group, French label and whole euros."""
    return {
        "feature": contribution.feature,
        "label": contribution_label(contribution),
        "euros": euros(contribution.euros) or 0,
    }


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def estimate_parts(estimate, prop: Property, location: Location) -> dict:
    """Everything about one estimate except which model made it."""
    return {
        "estimate": {
            "value": euros(estimate.value),
            "low": euros(estimate.low),
            "high": euros(estimate.high),
            "price_per_m2": euros(estimate.price_per_m2),
            "confidence": estimate.confidence,
            "market_period": str(estimate.market_period),
        },
        "explanation": {
            "baseline": euros(estimate.baseline) or 0,
            "contributions": [contribution_answer(c) for c in (estimate.contributions or ())],
        },
        "comparables": [comparable_answer(c) for c in (estimate.comparables or ())],
        "tranquillity": jsonable(describe_tranquillity(estimate.tranquillity)),
        "location": location_answer(location),
        "property": property_answer(prop),
    }


def estimate_answer(estimate, prop: Property, location: Location, estimator) -> dict:
    """The answer to POST /estimates."""
    return {**estimate_parts(estimate, prop, location), "model": model_ref(estimator)}


def training_window(window: Any) -> dict | None:
    """The first and last dates of the training sales."""
    if isinstance(window, Mapping):
        return jsonable(window)
    if isinstance(window, list | tuple) and len(window) == 2:
        return {"from": _day(window[0]), "to": _day(window[1])}
    return None


def evaluation_metrics(evaluation: Any) -> dict | None:
    """Out-of-time metrics (MdAPE, PE10, PE20, COD, PRD, coverage...) of the model and baselines."""
    if not isinstance(evaluation, Mapping):
        return None
    results = evaluation.get("results")
    if not isinstance(results, Mapping):
        results = evaluation
    model = results.get("model")
    if not isinstance(model, Mapping):
        return None
    metrics = {
        "test_period": jsonable(evaluation.get("test_period")),
        "overall": jsonable(model.get("overall")),
        "by_departement_type": jsonable(model.get("by_departement_type")),
        # `model_*` results are the same model scored another way (flagged sales included,
        # history frozen at the test start); the others are baselines and ablations.
        "variants": _overall_of(results, lambda name: name.startswith("model_")),
        "baselines": _overall_of(results, lambda name: not name.startswith("model")),
    }
    return metrics


def _overall_of(results: Mapping, keep) -> dict:
    return {
        name: jsonable(value.get("overall"))
        for name, value in results.items()
        if keep(name) and isinstance(value, Mapping) and "overall" in value
    }


def field_errors(errors: list[FieldError]) -> list[dict]:
    """Bad fields as JSON, in the order found."""
    return [
        {"field": e.field, "code": e.code, "message": e.message, "params": jsonable(e.params)}
        for e in errors
    ]


def error_body(status: int, message: str, **extra) -> dict:
    """The `error` object of an answer (also used per item in a batch)."""
    return {"status": status, "message": message, **extra}
