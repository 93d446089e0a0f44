"""The request models: JSON strict, form text lax, each pydantic error mapped to a stable code."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.api.queries import parse_comparables_query
from app.geocoding import Location
from app.requests import (
    ESTIMATE_FIELDS,
    PropertyRequest,
    parse_batch_request,
    parse_estimate_request,
)
from app.web import french
from model.property import (
    LIVING_AREA_RANGE,
    FieldError,
    InvalidProperty,
    Property,
    PropertyFields,
)

TODAY = date(2025, 6, 1)
LILLE = Location(50.63, 3.06, "housenumber", "offline-ban", "1 rue Nationale", "59350", "59000")
HOME = {"property_type": "house", "living_area_m2": 80, "rooms": 4}
AT = {"latitude": 50.63, "longitude": 3.06}


def geocode(address: str) -> Location | None:
    return LILLE if "nationale" in address.lower() else None


def json_errors(data) -> list[FieldError]:
    with pytest.raises(InvalidProperty) as caught:
        parse_estimate_request(
            data, geocode, allowed_fields=ESTIMATE_FIELDS, typed=True, today=TODAY
        )
    return caught.value.errors


def form_errors(data) -> list[FieldError]:
    with pytest.raises(InvalidProperty) as caught:
        parse_estimate_request(data, geocode, today=TODAY)
    return caught.value.errors


def test_json_numbers_must_be_numbers():
    [error] = json_errors({**HOME, **AT, "living_area_m2": "65"})
    assert (error.field, error.code, error.message) == (
        "living_area_m2",
        "type",
        "must be a number",
    )
    [error] = json_errors({**HOME, **AT, "rooms": "4"})
    assert (error.code, error.message) == ("type", "must be a whole number")


def test_form_text_is_read_the_french_way():
    prop, _ = parse_estimate_request(
        {
            "property_type": "house",
            "living_area_m2": " 65,5 ",
            "rooms": "4",
            "land_area_m2": "1 200",
            "outbuildings": "",
            "address": "1 rue Nationale, Lille",
        },
        geocode,
        today=TODAY,
    )
    assert (prop.living_area_m2, prop.rooms, prop.land_area_m2, prop.outbuildings) == (
        65.5,
        4,
        1200.0,
        0,
    )
    assert prop.code_commune == "59350" and prop.valuation_date == TODAY


def test_the_decimal_comma_is_for_forms_only():
    assert [(e.field, e.code) for e in json_errors({**HOME, **AT, "living_area_m2": "65,5"})] == [
        ("living_area_m2", "type")
    ]
    with pytest.raises(InvalidProperty) as caught:
        parse_comparables_query(MultiDict({"latitude": "50,6", "longitude": "3"}))
    assert [(e.field, e.code) for e in caught.value.errors] == [("latitude", "type")]


@pytest.mark.parametrize(
    ("data", "field", "code", "message", "params"),
    [
        ({**AT, "rooms": 4, "living_area_m2": 80}, "property_type", "required", "is required", {}),
        ({**HOME, **AT, "rooms": True}, "rooms", "type", "must be a whole number", {}),
        ({**HOME, **AT, "property_type": ""}, "property_type", "type",
         "must not be empty (leave the field out)", {}),
        ({**HOME, **AT, "property_type": "loft"}, "property_type", "choice",
         "must be one of apartment, house", {"allowed": ("apartment", "house")}),
        ({**HOME, **AT, "living_area_m2": 2}, "living_area_m2", "range",
         "must be between 9 and 1000", {"min": 9.0, "max": 1000.0}),
        ({**HOME, **AT, "valuation_date": "2013-12-31"}, "valuation_date", "range",
         "must be between 2014-01-01 and one year from today", {}),
        ({**HOME, **AT, "valuation_date": "2024-02-30"}, "valuation_date", "type",
         "must be an ISO date (YYYY-MM-DD)", {}),
        ({**HOME, **AT, "address": "x" * 201}, "address", "range",
         "must be at most 200 characters", {"max": 200}),
        ({**HOME, **AT, "surface": 3}, "surface", "unknown", "is not a known field",
         {"allowed": sorted(ESTIMATE_FIELDS)}),
        ({**HOME, "address": "nulle part"}, "address", "not_found", "could not be located", {}),
        ({**HOME}, "address", "required", "is required (or give latitude and longitude)", {}),
        ({**HOME, "latitude": 50.6}, "longitude", "required",
         "is required with the other coordinate", {}),
    ],
)  # fmt: skip
def test_each_error_code_names_its_field(data, field, code, message, params):
    assert json_errors(data) == [FieldError(field, code, message, params)]


def test_unknown_fields_come_first_and_every_error_shows_at_once():
    errors = json_errors({"zz": 1, "rooms": 0, "address": "nulle part"})
    assert [(e.field, e.code) for e in errors] == [
        ("zz", "unknown"),
        ("property_type", "required"),
        ("living_area_m2", "required"),
        ("rooms", "range"),
        ("address", "not_found"),
    ]


def test_json_null_and_form_blanks_mean_absent():
    assert [e.field for e in json_errors({**HOME, **AT, "rooms": None})] == ["rooms"]
    assert [e.code for e in form_errors({**HOME, **AT, "rooms": "  "})] == ["required"]


def test_form_errors_keep_their_french_messages():
    errors = form_errors(
        {
            "property_type": "château",
            "living_area_m2": "beaucoup",
            "rooms": "2,5",
            "land_area_m2": "-5",
            "address": "",
        }
    )
    assert french.field_errors(errors) == {
        "property_type": "Choisissez maison ou appartement.",
        "living_area_m2": "Saisissez un nombre.",
        "rooms": "Saisissez un nombre entier.",
        "land_area_m2": "Saisissez une valeur entre 0\u202fm² et 100\u202f000\u202fm².",
        "address": "Indiquez l'adresse du bien.",
    }


def test_property_from_mapping_reads_csv_text():
    prop = Property.from_mapping(
        {**HOME, "living_area_m2": "80,0", "latitude": "50.63", "longitude": "3.06"},
        today=TODAY,
    )
    assert prop == Property("house", 80.0, 4, 50.63, 3.06, TODAY)


def test_the_schema_states_the_bounds_the_models_enforce():
    schema = PropertyRequest.model_json_schema()["properties"]["living_area_m2"]
    assert (schema["minimum"], schema["maximum"]) == LIVING_AREA_RANGE
    assert PropertyFields.model_fields.keys() - {"latitude", "longitude", "code_commune"} < set(
        ESTIMATE_FIELDS
    )


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ([], "body", "type"),
        ({}, "properties", "required"),
        ({"properties": {}}, "properties", "type"),
        ({"properties": []}, "properties", "range"),
        ({"properties": [{}], "explain": 1}, "explain", "type"),
        ({"properties": [{}], "items": []}, "items", "unknown"),
    ],
)
def test_a_batch_request_is_checked_strictly(body, field, code):
    with pytest.raises(InvalidProperty) as caught:
        parse_batch_request(body)
    assert (field, code) in {(e.field, e.code) for e in caught.value.errors}


def test_a_valid_batch_request():
    batch = parse_batch_request({"properties": [{"x": 1}] * 3})
    assert len(batch.properties) == 3 and batch.explain is False
