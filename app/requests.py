"""Typed requests built from a form or from JSON by the same function.

Owner: API engineer. Interface (used by the site too):

    parse_estimate_request(data, geocode, *, allowed_fields=None, today=None, typed=False)
        -> tuple[Property, Location]

`data` holds the property fields of `model.property.Property` and a location given
either as `address` (geocoded with `geocode(address) -> Location | None`) or as
`latitude` + `longitude` (when both are given, the coordinates win: a form that
picked a suggestion sends both). Raises `model.property.InvalidProperty` naming each
bad field. Error codes, stable for translations: `required`, `type`, `choice`,
`range` (from `Property`), plus `unknown` (a field that is not expected),
and `not_found` (an address that cannot be located). An address longer than
`MAX_ADDRESS_LENGTH` characters is a `range` error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

from app.geocoding import Location
from model.property import FieldError, InvalidProperty, Property

PROPERTY_FIELDS = (
    "property_type",
    "living_area_m2",
    "rooms",
    "land_area_m2",
    "outbuildings",
    "valuation_date",
)
LOCATION_FIELDS = ("address", "latitude", "longitude")
ESTIMATE_FIELDS = PROPERTY_FIELDS + LOCATION_FIELDS
MAX_ADDRESS_LENGTH = 200

# JSON types each field must already have when `typed` (the API); forms send strings.
_NUMBER_FIELDS = ("living_area_m2", "land_area_m2", "latitude", "longitude")
_INTEGER_FIELDS = ("rooms", "outbuildings")
_STRING_FIELDS = ("property_type", "valuation_date", "address")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Geocode = Callable[[str], Location | None]


def parse_estimate_request(
    data: Any,
    geocode: Geocode,
    *,
    allowed_fields: Collection[str] | None = None,
    today: date | None = None,
    typed: bool = False,
) -> tuple[Property, Location]:
    """Validate a property and locate it; raise `InvalidProperty` listing every bad field."""
    if not isinstance(data, Mapping):
        raise InvalidProperty([FieldError("body", "type", "must be an object of named fields")])
    errors = unknown_field_errors(data, allowed_fields)
    if typed:
        errors += json_type_errors(data)
    bad = {e.field for e in errors}

    location, location_errors = _locate(data, geocode, bad)
    errors += location_errors
    # Validate the other fields even when the place is unknown, so every error shows at once.
    fields = {k: v for k, v in data.items() if k in PROPERTY_FIELDS and k not in bad}
    fields["latitude"] = location.latitude if location else 0.0
    fields["longitude"] = location.longitude if location else 0.0
    if location and location.code_commune:
        fields["code_commune"] = location.code_commune
    try:
        prop = Property.from_mapping(fields, today=today)
    except InvalidProperty as exc:
        # Fields already found bad were left out: Property would call them missing.
        errors += [e for e in exc.errors if e.field not in bad]
    if errors:
        raise InvalidProperty(errors)
    return prop, location


def unknown_field_errors(data: Mapping, allowed_fields: Collection[str] | None) -> list[FieldError]:
    """One error per field outside `allowed_fields` (none when it is None)."""
    if allowed_fields is None:
        return []
    return [
        FieldError(
            str(name), "unknown", "is not a known field", {"allowed": sorted(allowed_fields)}
        )
        for name in data
        if name not in allowed_fields
    ]


def json_type_errors(data: Mapping) -> list[FieldError]:
    """Errors for JSON values of the wrong type (null means absent for every field)."""
    errors = []
    for name, value in data.items():
        if value is None:
            continue
        if name in _NUMBER_FIELDS and not _is_number(value):
            errors.append(FieldError(name, "type", "must be a number"))
        elif name in _INTEGER_FIELDS and not _is_integer(value):
            errors.append(FieldError(name, "type", "must be a whole number"))
        elif name in _STRING_FIELDS and not isinstance(value, str):
            errors.append(FieldError(name, "type", "must be a string"))
        elif name in _STRING_FIELDS and value == "":
            errors.append(FieldError(name, "type", "must not be empty (leave the field out)"))
        elif name == "address" and len(value) > MAX_ADDRESS_LENGTH:
            # Checked even when coordinates locate the home: the request is wrong either way.
            errors.append(
                FieldError(
                    name,
                    "range",
                    f"must be at most {MAX_ADDRESS_LENGTH} characters",
                    {"max": MAX_ADDRESS_LENGTH},
                )
            )
        elif name == "valuation_date" and not _ISO_DATE.fullmatch(value):
            # date.fromisoformat also takes "20240101" and week dates; JSON dates do not.
            errors.append(FieldError(name, "type", "must be an ISO date (YYYY-MM-DD)"))
    return errors


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    # JSON Schema counts 3.0 as an integer; so do we.
    return _is_number(value) and math.isfinite(value) and float(value).is_integer()


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def _locate(
    data: Mapping, geocode: Geocode, bad: set[str]
) -> tuple[Location | None, list[FieldError]]:
    """The place given by coordinates, else by address; errors name the field at fault."""
    has_lat, has_lon = _present(data.get("latitude")), _present(data.get("longitude"))
    if has_lat or has_lon:
        if {"latitude", "longitude"} & bad:
            return None, []
        return _from_coordinates(data, has_lat, has_lon)
    if "address" in bad:
        return None, []
    address = data.get("address")
    if not _present(address):
        return None, [
            FieldError("address", "required", "is required (or give latitude and longitude)")
        ]
    if not isinstance(address, str):
        return None, [FieldError("address", "type", "must be a string")]
    if len(address) > MAX_ADDRESS_LENGTH:
        return None, [
            FieldError(
                "address",
                "range",
                f"must be at most {MAX_ADDRESS_LENGTH} characters",
                {"max": MAX_ADDRESS_LENGTH},
            )
        ]
    location = geocode(address.strip())
    if location is None:
        return None, [FieldError("address", "not_found", "could not be located")]
    return location, []


def _from_coordinates(
    data: Mapping, has_lat: bool, has_lon: bool
) -> tuple[Location | None, list[FieldError]]:
    missing = [name for name, ok in (("latitude", has_lat), ("longitude", has_lon)) if not ok]
    if missing:
        return None, [
            FieldError(name, "required", "is required with the other coordinate")
            for name in missing
        ]
    try:
        # Property.from_mapping checks types and bounds; here we only need the values.
        probe = Property.from_mapping(
            {
                "property_type": "house",
                "living_area_m2": 50,
                "rooms": 1,
                "latitude": data["latitude"],
                "longitude": data["longitude"],
            }
        )
    except InvalidProperty as exc:
        return None, [e for e in exc.errors if e.field in ("latitude", "longitude")]
    label = data.get("address") if isinstance(data.get("address"), str) else None
    location = Location(
        latitude=probe.latitude,
        longitude=probe.longitude,
        precision="coordinates",
        source="coordinates",
        label=label.strip()[:MAX_ADDRESS_LENGTH] if label else None,
    )
    return location, []
