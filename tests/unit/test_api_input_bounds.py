"""Bad input costs little and never 500s: huge numbers are `range` errors everywhere, an
answer lists a bounded number of bad fields, and the form reads numbers as JSON does."""

from __future__ import annotations

import json
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.api.queries import parse_comparables_query
from app.geocoding import Location
from app.requests import ESTIMATE_FIELDS, parse_estimate_request
from model.property import MAX_FIELD_ERRORS, FieldError, InvalidProperty, Property

TODAY = date(2025, 6, 1)
PLACE = Location(50.63, 3.06, "housenumber", "offline-ban", "1 rue Nationale", "59350", "59000")
HOME = {"property_type": "house", "living_area_m2": 80, "rooms": 4, "latitude": 50.63}
HOME["longitude"] = 3.06
HUGE_JSON = ["1" + "0" * 400, "-" + "9" * 5000, "1e400", "-1E999", "123456789012345678"]
HUGE_TEXT = [*HUGE_JSON, "1" + "0" * 400 + ",5", "1 000 000 000 000 000 000"]
NUMBER_FIELDS = ("living_area_m2", "rooms", "land_area_m2", "outbuildings", "latitude")


def _errors(data, typed) -> list[FieldError]:
    kwargs = {"allowed_fields": ESTIMATE_FIELDS, "typed": True} if typed else {}
    with pytest.raises(InvalidProperty) as caught:
        parse_estimate_request(data, lambda a: PLACE, today=TODAY, **kwargs)
    return caught.value.errors


def _json(text: str):
    """A JSON body read as the API reads it (numbers of any length)."""
    from app.api.views import _json_int, _not_json

    return json.loads(text, parse_int=_json_int, parse_constant=_not_json)


@pytest.mark.parametrize("field", NUMBER_FIELDS)
@pytest.mark.parametrize("number", HUGE_JSON)
def test_a_huge_json_number_is_out_of_range(field, number):
    body = _json(json.dumps(HOME).replace("}", f', "{field}": {number}}}'))
    [error] = _errors(body, typed=True)
    assert (error.field, error.code) == (field, "range") and "must be between" in error.message


@pytest.mark.parametrize("field", NUMBER_FIELDS)
@pytest.mark.parametrize("number", HUGE_TEXT)
def test_a_huge_number_typed_in_the_form_or_a_csv_is_out_of_range(field, number):
    form = {k: str(v) for k, v in HOME.items()} | {field: number}
    [error] = _errors(form, typed=False)
    assert (error.field, error.code) == (field, "range")
    with pytest.raises(InvalidProperty) as caught:
        Property.from_mapping(form)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, "range")]


@pytest.mark.parametrize("number", HUGE_JSON)
def test_a_huge_number_in_a_query_is_out_of_range(number):
    with pytest.raises(InvalidProperty) as caught:
        parse_comparables_query(MultiDict({"latitude": number, "longitude": "3", "limit": number}))
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("latitude", "range"),
        ("limit", "range"),
    }


@pytest.mark.parametrize(
    ("json_number", "text"),
    [("65.5", "65,5"), ("65.5", "65.5"), ("1200", "1 200"), ("1.2e3", "1.2e3"), ("-0", "0")],
)
def test_the_form_reads_every_json_number_alike(json_number, text):
    as_json = parse_estimate_request(
        _json(json.dumps(HOME).replace("}", f', "land_area_m2": {json_number}}}')),
        lambda a: PLACE,
        allowed_fields=ESTIMATE_FIELDS,
        typed=True,
        today=TODAY,
    )[0]
    as_text = parse_estimate_request(
        {k: str(v) for k, v in HOME.items()} | {"land_area_m2": text},
        lambda a: PLACE,
        today=TODAY,
    )[0]
    assert as_json == as_text


@pytest.mark.parametrize("rooms", ["4", "4.0", "0.4e1", "4E0", "40e-1"])
def test_a_whole_number_may_be_written_as_json_writes_it(rooms):
    for data, typed in ((_json(rooms), True), (rooms, False), (rooms.replace(".", ","), False)):
        prop, _ = parse_estimate_request(
            {**HOME, "rooms": data},
            lambda a: PLACE,
            allowed_fields=ESTIMATE_FIELDS if typed else None,
            typed=typed,
            today=TODAY,
        )
        assert prop.rooms == 4


@pytest.mark.parametrize("rooms", ["4.5", "4,5", "0x4", "٤", "1_0", "4e", ""])
def test_what_is_not_a_whole_number_is_a_type_error(rooms):
    errors = _errors({**HOME, "rooms": rooms}, typed=False)
    expected = [("rooms", "required")] if rooms == "" else [("rooms", "type")]
    assert [(e.field, e.code) for e in errors] == expected


def test_thousands_of_unknown_fields_cost_a_bounded_answer():
    body = {**HOME, "rooms": 99, **{f"x{i}": 1 for i in range(50_000)}}
    with pytest.raises(InvalidProperty) as caught:
        parse_estimate_request(
            body, lambda a: PLACE, allowed_fields=ESTIMATE_FIELDS, typed=True, today=TODAY
        )
    exc = caught.value
    assert len(exc.errors) == MAX_FIELD_ERRORS and exc.total == 50_001
    # The real field's error is kept among the first ones; the rest are counted.
    assert ("rooms", "range") in [(e.field, e.code) for e in exc.errors]
    assert [e.field for e in exc.errors if e.code == "unknown"] == [
        f"x{i}" for i in range(MAX_FIELD_ERRORS - 1)
    ]
    assert str(exc).endswith(f"and {50_001 - MAX_FIELD_ERRORS} more") and len(str(exc)) < 2000
