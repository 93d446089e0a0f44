"""The answer models: built from domain objects, and what they send matches the generated spec."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import numpy as np
import pytest
from jsonschema.validators import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.api import answers, errors, spec
from app.errors import Error, ErrorDetail
from app.geocoding import Location
from model.estimator import Comparable, Contribution, Estimate, OutsideCoverage
from model.explain import HomeFacts
from model.indicators import Neighbourhood, Prices, QuarterPrices
from model.property import FieldError, InvalidProperty, Property

PROP = Property("apartment", 52.5, 3, 48.85, 2.35, date(2025, 3, 1))
PLACE = Location(48.85, 2.35, "coordinates", "coordinates")
SALE = Comparable(
    mutation_id="2024-1",
    date=date(2024, 5, 2),
    property_type="apartment",
    living_area_m2=50.0,
    rooms=None,
    land_area_m2=float("nan"),
    price=500_000.0,
    price_per_m2=10_000.0,
    distance_m=120.0,
    latitude=48.851,
    longitude=2.351,
    street=None,
    code_commune="75104",
    commune_name=float("nan"),
)
FACTS = HomeFacts("apartment", 52.0, 2, 0.0, 0, 0, None, None, 0, None, "75104", None)

ESTIMATE = Estimate(
    value=520_400.4,
    low=470_000.0,
    high=575_000.0,
    price_per_m2=9912.4,
    confidence="medium",
    baseline=500_000.0,
    contributions=[Contribution("surface", 20_400.4, FACTS)],
    comparables=[SALE],
    market_period="2025-03",
    model_version="v1",
    data_until=date(2024, 12, 31),
    # As `model.tranquillity.summary` makes them: plain JSON values (sent as they are).
    tranquillity={
        "year": 2024,
        "rate": None,
        "on": "2025-01-01",
        "incidents": {},
        "cameras": {"covered": False},
        "sources": [],
    },
)


class Served:
    version = "v1"
    data_until = datetime(2024, 12, 31)
    departements = frozenset({"75"})
    metadata = {"training_window": ["2023-01-01", "2024-12-31"], "evaluation": None}


def documented(answer, component: str) -> dict:
    """The JSON an answer sends, after checking it against its component of the spec."""
    body = json.loads(answer.model_dump_json(by_alias=True))
    document = spec.build_spec()
    registry = Registry().with_resource("urn:spec", DRAFT202012.create_resource(document))
    validator = Draft202012Validator(
        {"$ref": f"urn:spec#/components/schemas/{component}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not problems, problems
    return body


def test_an_estimate_answer_in_whole_euros_with_plain_json_values():
    body = documented(answers.estimate_answer(ESTIMATE, PROP, PLACE, Served()), "EstimateResponse")
    assert body["estimate"]["value"] == 520_400 and body["explanation"]["baseline"] == 500_000
    assert body["explanation"]["contributions"] == [
        {"feature": "surface", "label": "Surface habitable : 52 m²", "euros": 20_400}
    ]
    sale = body["comparables"][0]
    assert sale["date"] == "2024-05-02" and sale["land_area_m2"] is None
    assert sale["commune_name"] is None and sale["rooms"] is None
    shown = {key: body["tranquillity"][key] for key in ("year", "rate", "on")}
    assert shown == {"year": 2024, "rate": None, "on": "2025-01-01"}
    assert body["tranquillity"]["notes"]  # worded by the app: the model sends none
    assert body["property"]["valuation_date"] == "2025-03-01"
    assert body["model"] == {"version": "v1", "data_until": "2024-12-31"}


def test_a_batch_answer_mixes_results_and_errors():
    bad = InvalidProperty([FieldError("rooms", "range", "must be between 1 and 30", {"min": 1})])
    results = [
        answers.batch_estimate(0, ESTIMATE, PROP, PLACE),
        answers.batch_failure(1, errors.invalid(bad, "invalid property: see fields")),
        answers.batch_failure(2, errors.outside(OutsideCoverage("not_in_dvf", "Moselle"))),
        answers.batch_failure(3, errors.late(20)),
    ]
    body = documented(answers.batch_answer(results, Served()), "BatchResponse")
    assert body["summary"] == {"estimated": 1, "invalid": 1, "outside_coverage": 1, "not_done": 1}
    assert body["results"][3]["error"] == {
        "status": 503,
        "message": "not done within the request's 20 s deadline: send this home again",
        "code": "deadline",
    }
    assert body["results"][1]["error"] == {
        "status": 400,
        "message": "invalid property: see fields",
        "fields": [
            {"field": "rooms", "code": "range", "message": "must be between 1 and 30",
             "params": {"min": 1}}
        ],
    }  # fmt: skip
    assert body["results"][2]["error"] == {
        "status": 422,
        "message": "Moselle",
        "code": "not_in_dvf",
    }


def test_an_error_carries_only_what_applies():
    body = documented(Error(error=ErrorDetail(status=429, message="wait", retry_after=3)), "Error")
    assert body == {"error": {"status": 429, "message": "wait", "retry_after": 3}}


def test_model_and_health_answers():
    body = documented(answers.model_info(Served()), "ModelInfo")
    assert body["training_window"] == {"from": "2023-01-01", "to": "2024-12-31"}
    assert body["departements"] == ["75"] and body["metrics"] is None
    assert documented(answers.health_answer(None), "Health")["status"] == "unavailable"
    assert documented(answers.health_answer(Served()), "Health")["data_until"] == "2024-12-31"


def test_neighbourhood_and_comparables_answers():
    history = [QuarterPrices("2024-Q1", 10_100.0, np.int64(12))]
    summary = Neighbourhood(
        code_commune="75104",
        commune_name=None,
        departement="75",
        covered=True,
        radius_m=500.0,
        period=("2024-01-01", "2024-12-31"),
        prices_nearby={"house": Prices(math.inf, 3)},
        prices_commune_last_4_quarters={},
        tranquillity=None,
        data_until="2024-12-31",
    )
    body = documented(
        answers.neighbourhood_answer(PLACE, "75104", summary, history, Served()),
        "NeighbourhoodResponse",
    )
    assert body["market_history"][0]["sales"] == 12
    assert body["neighbourhood"]["period"] == ["2024-01-01", "2024-12-31"]
    assert body["neighbourhood"]["prices_nearby"] == {
        "house": {"median_price_per_m2": None, "sales": 3}
    }
    body = documented(answers.comparables_answer([SALE], PLACE, Served()), "ComparablesResponse")
    assert body["location"]["precision"] == "coordinates" and len(body["comparables"]) == 1


def test_an_answer_that_breaks_its_model_is_refused_before_it_is_sent():
    with pytest.raises(ValueError):
        answers.estimate_answer(
            Estimate(**{**ESTIMATE.__dict__, "market_period": "March"}), PROP, PLACE, Served()
        )
