"""Query strings of GET /comparables and /neighbourhood: typed values or named errors."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.api.queries import parse_comparables_query, parse_neighbourhood_query
from model.property import InvalidProperty


def errors_of(parse, args) -> dict[str, str]:
    with pytest.raises(InvalidProperty) as caught:
        parse(MultiDict(args))
    return {e.field: e.code for e in caught.value.errors}


def test_comparables_defaults_and_filters():
    query = parse_comparables_query(
        MultiDict(
            {
                "latitude": "48.85",
                "longitude": "2.35",
                "property_type": "apartment",
                "living_area_min": "30",
                "living_area_max": "60.5",
                "rooms_min": "2",
                "date_from": "2023-01-01",
            }
        )
    )
    assert (query.point.latitude, query.point.longitude) == (48.85, 2.35)
    assert query.living_area_range == (30.0, 60.5)
    assert query.rooms_range == (2, None)
    assert (query.date_from, query.date_to) == (date(2023, 1, 1), None)
    assert (query.radius_m, query.limit) == (1000, 20)


def test_comparables_by_address():
    query = parse_comparables_query(MultiDict({"address": " 10 rue de la Paix "}))
    assert query.point.address == "10 rue de la Paix" and query.point.latitude is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, {"address": "required"}),
        ({"latitude": "48.8"}, {"longitude": "required"}),
        ({"latitude": "abc", "longitude": "2"}, {"latitude": "type"}),
        ({"latitude": "nan", "longitude": "2"}, {"latitude": "type"}),
        ({"latitude": "1_0", "longitude": "2"}, {"latitude": "type"}),
        ({"latitude": "٤٥", "longitude": "2"}, {"latitude": "type"}),  # Arabic-Indic digits
        ({"latitude": "95", "longitude": "2"}, {"latitude": "range"}),
        ({"latitude": "48", "longitude": "2", "radius_m": "1.5"}, {"radius_m": "type"}),
        ({"latitude": "48", "longitude": "2", "radius_m": "99999"}, {"radius_m": "range"}),
        ({"latitude": "48", "longitude": "2", "limit": "0"}, {"limit": "range"}),
        (
            {"latitude": "48", "longitude": "2", "property_type": "flat"},
            {"property_type": "choice"},
        ),
        ({"latitude": "48", "longitude": "2", "date_from": "2024-02-30"}, {"date_from": "type"}),
        ({"latitude": "48", "longitude": "2", "date_to": "20240101"}, {"date_to": "type"}),
        (
            {"latitude": "48", "longitude": "2", "rooms_min": "4", "rooms_max": "2"},
            {"rooms_max": "range"},
        ),
        (
            {
                "latitude": "48",
                "longitude": "2",
                "date_from": "2024-05-01",
                "date_to": "2024-01-01",
            },
            {"date_to": "range"},
        ),
        ({"latitude": "48", "longitude": "2", "surface": "50"}, {"surface": "unknown"}),
        ({"address": "x" * 201}, {"address": "range"}),
        ({"latitude": "48", "longitude": "2", "rooms_min": " "}, {"rooms_min": "type"}),
        ({"latitude": "", "longitude": "2"}, {"latitude": "type"}),
    ],
)
def test_bad_comparables_parameters_are_named(args, expected):
    assert errors_of(parse_comparables_query, args) == expected


def test_a_parameter_given_twice_is_refused():
    args = MultiDict([("latitude", "48"), ("latitude", "49"), ("longitude", "2")])
    with pytest.raises(InvalidProperty) as caught:
        parse_comparables_query(args)
    assert [(e.field, e.code) for e in caught.value.errors] == [("latitude", "type")]


def test_neighbourhood_query():
    query = parse_neighbourhood_query(
        MultiDict(
            {"latitude": "43.6", "longitude": "3.88", "code_commune": "34172", "date": "2024-06-01"}
        )
    )
    assert query.code_commune == "34172" and query.on == date(2024, 6, 1)
    assert (
        parse_neighbourhood_query(
            MultiDict({"address": "Ajaccio", "code_commune": "2A004"})
        ).code_commune
        == "2A004"
    )


@pytest.mark.parametrize("code", ["3417", "341720", "ABCDE", "٣٤١٧٢", "", " "])
def test_neighbourhood_refuses_malformed_commune_codes(code):
    found = errors_of(
        parse_neighbourhood_query, {"latitude": "43", "longitude": "3", "code_commune": code}
    )
    assert set(found) == {"code_commune"}
