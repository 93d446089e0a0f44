"""Domain objects to the API's answer models (`app.api.models`): pure functions.

The estimator's values are trusted: they are converted to plain Python values here
(whole euros, finite floats or None, dates). The many small parts of an estimate
(comparables, contributions, the echo) are built with `model_construct`: no second
validation of values this module typed itself. The price (`Estimate`) and the other
answers are validated by their models.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from app.api import models as api
from app.errors import ErrorDetail
from app.geocoding import Location
from app.labels.contributions import contribution_label
from app.labels.coverage import partial_data_note
from app.labels.tranquillity import describe_tranquillity
from model.geography import DEPARTEMENT_NAMES
from model.property import Property


def jsonable(value: Any) -> Any:
    """Plain JSON values: ISO dates, None for NaN and infinities, lists for tuples and sets."""
    kind = type(value)  # the common plain types first: this walks every summary
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, bool | str | int):
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


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def model_ref(estimator) -> api.ModelRef:
    """Which model answered, and the date its data runs to."""
    return api.ModelRef.model_construct(
        version=str(estimator.version), data_until=_day(estimator.data_until)
    )


def location_answer(location: Location) -> api.Location:
    return api.Location.model_validate(location, from_attributes=True)


def property_answer(prop: Property) -> api.PropertyEcho:
    """The property as understood (its place is in `location`)."""
    return api.PropertyEcho.model_construct(
        property_type=prop.property_type,
        living_area_m2=float(prop.living_area_m2),
        rooms=int(prop.rooms),
        land_area_m2=None if prop.land_area_m2 is None else float(prop.land_area_m2),
        outbuildings=int(prop.outbuildings),
        valuation_date=prop.valuation_date,
    )


def comparable_answer(comparable) -> api.Comparable:
    rooms = getattr(comparable, "rooms", None)
    return api.Comparable.model_construct(
        mutation_id=str(comparable.mutation_id),
        date=_day(comparable.date),
        property_type=comparable.property_type,
        living_area_m2=_number(comparable.living_area_m2),
        rooms=None if rooms is None or _number(rooms) is None else int(rooms),
        land_area_m2=_number(comparable.land_area_m2),
        price=_number(comparable.price),
        price_per_m2=_number(comparable.price_per_m2),
        distance_m=_number(comparable.distance_m),
        latitude=_number(comparable.latitude),
        longitude=_number(comparable.longitude),
        street=_text(comparable.street),
        code_commune=_text(comparable.code_commune),
        commune_name=_text(comparable.commune_name),
    )


def _contribution(c) -> api.Contribution:
    """One group of features and what it adds to the price."""
    return api.Contribution.model_construct(
        feature=c.feature, label=contribution_label(c), euros=euros(c.euros) or 0
    )


def estimate_parts(estimate, prop: Property, location: Location) -> dict[str, Any]:
    """Everything about one estimate except which model made it: the fields of `EstimateParts`."""
    return {
        # Validated: its few fields are the price itself (e.g. the month's pattern).
        "estimate": api.Estimate(
            value=euros(estimate.value),
            low=euros(estimate.low),
            high=euros(estimate.high),
            price_per_m2=euros(estimate.price_per_m2),
            confidence=estimate.confidence,
            market_period=str(estimate.market_period),
        ),
        "explanation": api.Explanation.model_construct(
            baseline=euros(estimate.baseline) or 0,
            contributions=[_contribution(c) for c in (estimate.contributions or ())],
        ),
        "comparables": [comparable_answer(c) for c in (estimate.comparables or ())],
        # Worded as on the site; plain JSON values already (`model.tranquillity.summary`).
        "tranquillity": describe_tranquillity(estimate.tranquillity),
        "location": location_answer(location),
        "property": property_answer(prop),
    }


def estimate_answer(estimate, prop: Property, location: Location, estimator):
    """The answer to POST /estimates."""
    parts = estimate_parts(estimate, prop, location)
    return api.EstimateResponse.model_construct(**parts, model=model_ref(estimator))


def batch_estimate(index: int, estimate, prop: Property, location: Location):
    """One estimated home of a batch."""
    return api.BatchEstimate.model_construct(
        index=index, status=200, **estimate_parts(estimate, prop, location)
    )


def batch_failure(index: int, error: ErrorDetail) -> api.BatchFailure:
    """One home of a batch that could not be estimated, with the error a single home gets."""
    return api.BatchFailure(index=index, status=error.status, error=error)


def batch_answer(results: Sequence, estimator) -> api.BatchResponse:
    """The answer to POST /estimates/batch: every result, in order, and how many of each."""
    statuses = [r.status for r in results]
    summary = api.BatchSummary(
        estimated=statuses.count(200),
        invalid=statuses.count(400),
        outside_coverage=statuses.count(422),
        not_done=statuses.count(503),
    )
    return api.BatchResponse(results=results, summary=summary, model=model_ref(estimator))


def comparables_answer(comparables: Iterable, location: Location, estimator):
    """The answer to GET /comparables."""
    return api.ComparablesResponse(
        comparables=[comparable_answer(c) for c in comparables],
        location=location_answer(location),
        model=model_ref(estimator),
    )


def neighbourhood_answer(location: Location, code: str | None, summary, history, estimator):
    """The answer to GET /neighbourhood."""
    return api.NeighbourhoodResponse(
        location=location_answer(location),
        code_commune=code,
        # One walk to plain JSON, the tranquillity worded as on the site.
        neighbourhood=jsonable(
            dataclasses.replace(summary, tranquillity=describe_tranquillity(summary.tranquillity))
        ),
        market_history=jsonable(list(history)),
        model=model_ref(estimator),
    )


def model_info(estimator) -> api.ModelInfo:
    """The answer to GET /model."""
    metadata = estimator.metadata or {}
    return api.ModelInfo(
        version=str(estimator.version),
        data_until=_day(estimator.data_until),
        departements=sorted(getattr(estimator, "departements", ()) or ()),
        departement_data={
            code: departement_answer(data)
            for code, data in (metadata.get("departement_data") or {}).items()
        },
        training_window=training_window(metadata.get("training_window")),
        metrics=evaluation_metrics(metadata.get("evaluation")),
    )


def departement_answer(data: Mapping) -> api.DepartementData:
    """One département's data, with the French note of its gaps."""
    return api.DepartementData(
        **{name: data[name] for name in api.DepartementData.model_fields if name in data},
        name=DEPARTEMENT_NAMES.get(data["code"]),
        note=partial_data_note(data),
    )


def health_answer(estimator) -> api.Health:
    """The answer to GET /health; `estimator` None when no model is served."""
    if estimator is None:
        return api.Health(status="unavailable", model_version=None, data_until=None)
    ref = model_ref(estimator)
    return api.Health(status="ok", model_version=ref.version, data_until=ref.data_until)


def training_window(window: Any) -> api.TrainingWindow | None:
    """The first and last dates of the training sales."""
    if isinstance(window, Mapping):
        return api.TrainingWindow.model_validate(jsonable(window))
    if isinstance(window, list | tuple) and len(window) == 2:
        return api.TrainingWindow(start=_day(window[0]), end=_day(window[1]))
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
    return {
        "test_period": jsonable(evaluation.get("test_period")),
        "overall": jsonable(model.get("overall")),
        "by_departement_type": jsonable(model.get("by_departement_type")),
        # `model_*` results are the same model scored another way (flagged sales included,
        # history frozen at the test start); the others are baselines and ablations.
        "variants": _overall_of(results, lambda name: name.startswith("model_")),
        "baselines": _overall_of(results, lambda name: not name.startswith("model")),
    }


def _overall_of(results: Mapping, keep) -> dict:
    return {
        name: jsonable(value.get("overall"))
        for name, value in results.items()
        if keep(name) and isinstance(value, Mapping) and "overall" in value
    }
