"""parse_estimate_request: one typed request from a form or JSON, every bad field named."""

from __future__ import annotations

from datetime import date

import pytest

from app.geocoding import Location
from app.requests import ESTIMATE_FIELDS, parse_estimate_request
from model.property import InvalidProperty

TODAY = date(2025, 6, 1)
PARIS = Location(
    48.8566, 2.3522, "housenumber", "offline-ban", "1 rue de Rivoli 75004 Paris", "75104", "75004"
)


def geocode_known(address: str) -> Location | None:
    return PARIS if "rivoli" in address.lower() else None


def parse(data, **kwargs):
    kwargs.setdefault("today", TODAY)
    return parse_estimate_request(data, geocode_known, **kwargs)


def errors_of(data, **kwargs) -> dict[str, str]:
    with pytest.raises(InvalidProperty) as caught:
        parse(data, **kwargs)
    return {e.field: e.code for e in caught.value.errors}


BASE = {"property_type": "apartment", "living_area_m2": 45, "rooms": 2}


def test_address_is_geocoded_and_its_commune_kept():
    prop, location = parse({**BASE, "address": "1 rue de Rivoli, Paris"})
    assert location == PARIS
    assert (prop.latitude, prop.longitude, prop.code_commune) == (48.8566, 2.3522, "75104")
    assert prop.valuation_date == TODAY and prop.outbuildings == 0


def test_coordinates_win_over_an_address_and_keep_it_as_label():
    prop, location = parse(
        {**BASE, "latitude": 43.61, "longitude": 3.87, "address": "somewhere unknown"}
    )
    assert (location.precision, location.source, location.label) == (
        "coordinates",
        "coordinates",
        "somewhere unknown",
    )
    assert (prop.latitude, prop.longitude) == (43.61, 3.87)


def test_form_strings_are_accepted_when_not_typed():
    prop, _ = parse(
        {
            "property_type": "house",
            "living_area_m2": "95,5",
            "rooms": "4",
            "land_area_m2": "500",
            "outbuildings": "1",
            "valuation_date": "2024-05-01",
            "latitude": "50.63",
            "longitude": "3.06",
        }
    )
    assert (prop.living_area_m2, prop.rooms, prop.land_area_m2) == (95.5, 4, 500.0)
    assert prop.valuation_date == date(2024, 5, 1)


def test_every_bad_field_is_named_at_once():
    found = errors_of(
        {
            "property_type": "castle",
            "living_area_m2": 5,
            "rooms": "many",
            "outbuildings": -1,
            "address": "nowhere at all",
        }
    )
    assert found == {
        "property_type": "choice",
        "living_area_m2": "range",
        "rooms": "type",
        "outbuildings": "range",
        "address": "not_found",
    }


def test_missing_location_and_fields_are_required():
    assert errors_of({}) == {
        "address": "required",
        "property_type": "required",
        "living_area_m2": "required",
        "rooms": "required",
    }


def test_one_coordinate_alone_asks_for_the_other():
    assert errors_of({**BASE, "latitude": 48.0}) == {"longitude": "required"}
    assert errors_of({**BASE, "longitude": 2.0}) == {"latitude": "required"}


def test_out_of_range_coordinates():
    assert errors_of({**BASE, "latitude": 91, "longitude": 2}) == {"latitude": "range"}


def test_unknown_fields_are_reported_when_fields_are_restricted():
    found = errors_of(
        {**BASE, "address": "1 rue de Rivoli", "surface": 12, "prix": 1},
        allowed_fields=ESTIMATE_FIELDS,
    )
    assert found == {"surface": "unknown", "prix": "unknown"}
    # The site passes no restriction: extra form fields (csrf tokens...) are ignored.
    parse({**BASE, "address": "1 rue de Rivoli", "csrf_token": "x"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("living_area_m2", "45"),
        ("rooms", "2"),
        ("rooms", 2.5),
        ("rooms", True),
        ("latitude", "48.8"),
        ("property_type", 1),
        ("valuation_date", 20240101),
        ("valuation_date", "20240101"),
        ("valuation_date", "2024-W01-1"),
        ("address", ["x"]),
        ("land_area_m2", False),
        ("address", ""),
        ("valuation_date", ""),
    ],
)
def test_typed_requests_refuse_values_of_the_wrong_json_type(field, value):
    data = {**BASE, "latitude": 48.8, "longitude": 2.3, field: value}
    assert errors_of(data, typed=True) == {field: "type"}


def test_typed_requests_accept_integral_floats_and_nulls_for_optional_fields():
    prop, _ = parse(
        {
            **BASE,
            "rooms": 3.0,
            "land_area_m2": None,
            "outbuildings": None,
            "valuation_date": None,
            "latitude": 48.8,
            "longitude": 2.3,
        },
        typed=True,
    )
    assert prop.rooms == 3 and prop.land_area_m2 is None and prop.valuation_date == TODAY


def test_an_overlong_address_is_refused_before_geocoding():
    calls = []

    def geocode(address):
        calls.append(address)
        return PARIS

    with pytest.raises(InvalidProperty) as caught:
        parse_estimate_request({**BASE, "address": "rue " * 60}, geocode)
    assert [(e.field, e.code) for e in caught.value.errors] == [("address", "range")]
    assert calls == []


def test_a_body_that_is_not_an_object():
    for body in ([], "text", 3, None):
        assert errors_of(body) == {"body": "type"}


def test_typed_requests_refuse_an_overlong_address_even_beside_coordinates():
    data = {**BASE, "latitude": 48.8, "longitude": 2.3, "address": "x" * 201}
    assert errors_of(data, typed=True) == {"address": "range"}
