"""Typed requests built from a form or from JSON by the same models.

Owner: API engineer. Interface (used by the site too):

    parse_estimate_request(data, geocode, *, allowed_fields=None, today=None, typed=False)
        -> tuple[Property, Location]
    parse_single_estimate(data, geocode, *, today=None) -> tuple[Property, Location, bool]
    parse_batch_request(data) -> BatchRequest

`PropertyRequest` is a batch item and the site's form; `EstimateRequest` (the body of
POST /estimates) adds `explain` (default true). Both hold the fields of
`model.property.HomeFields` and a place given either as `address` (geocoded with
`geocode(address) -> Location | None`) or as `latitude` + `longitude` (when both are given,
the coordinates win: a form that picked a suggestion sends both). `typed` (the API) checks
JSON types strictly; otherwise values are text (blank means absent, "65,5" is a number).
JSON null means absent. Errors are `model.property.InvalidProperty` naming each bad field:
`required`, `type`, `choice`, `range`, `unknown` (a field the request does not define, when
`allowed_fields` is given: the API passes `ESTIMATE_FIELDS`; without it, other fields such
as a form's csrf token are ignored) and `not_found` (an address that cannot be located).
An address longer than `MAX_ADDRESS_LENGTH` characters is a `range` error.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from app.geocoding import Location
from model.property import (
    FRENCH_TEXT,
    JSON_VALUES,
    MAX_FIELD_ERRORS,
    FieldError,
    Fields,
    HomeFields,
    InvalidProperty,
    Latitude,
    Longitude,
    Property,
    given_text,
    validate,
)

MAX_ADDRESS_LENGTH = 200
BATCH_MAX = 1000

# Checked before stripping: the length a client sent is the one it is told about.
Address = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ADDRESS_LENGTH), AfterValidator(str.strip)
]
Geocode = Callable[[str], Location | None]


class PlaceFields(Fields):
    """Where the home is: an address, or coordinates (which win)."""

    # Null means absent, but the schema does not offer it: a client leaves the field out.
    address: Address | SkipJsonSchema[None] = Field(
        None,
        description="Free text, geocoded (BAN). Ignored for locating when latitude and "
        "longitude are given.",
    )
    latitude: Latitude | SkipJsonSchema[None] = None
    longitude: Longitude | SkipJsonSchema[None] = None


class PropertyRequest(PlaceFields, HomeFields):
    """A home and its place: `address`, or `latitude` + `longitude`."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"required": ["address"]}, {"required": ["latitude", "longitude"]}],
            "examples": [
                {
                    "property_type": "apartment",
                    "living_area_m2": 52.5,
                    "rooms": 3,
                    "address": "10 rue de Rivoli, 75004 Paris",
                },
                {
                    "property_type": "house",
                    "living_area_m2": 110,
                    "rooms": 5,
                    "land_area_m2": 450,
                    "outbuildings": 1,
                    "latitude": 50.6292,
                    "longitude": 3.0573,
                    "valuation_date": "2025-03-01",
                },
            ],
        }
    )


class EstimateRequest(PropertyRequest):
    """The body of POST /estimates: a home, its place, and whether to explain its price."""

    explain: bool = Field(
        True,
        description="Include contributions in € (exact SHAP values of the model). False "
        "skips computing them: the answer's `explanation` then has no contributions and "
        "its baseline is the value (to the euro).",
    )


ESTIMATE_FIELDS = tuple(PropertyRequest.model_fields)
SINGLE_ESTIMATE_FIELDS = tuple(EstimateRequest.model_fields)
PLACE_FIELDS = tuple(PlaceFields.model_fields)


class BatchRequest(Fields):
    """Up to 1000 homes to estimate at once."""

    messages = {
        "model_type": ("type", "must be an object with 'properties'"),
        "list_type": ("type", "must be a list of properties"),
        **dict.fromkeys(
            ("too_short", "too_long"),
            (
                "range",
                f"must hold between 1 and {BATCH_MAX} properties",
                {"min": 1, "max": BATCH_MAX},
            ),
        ),
    }

    properties: list[Any] = Field(
        min_length=1,
        max_length=BATCH_MAX,
        description="Each item as the body of POST /estimates (PropertyRequest). A bad item "
        "gets its own error in `results`; it does not fail the batch.",
    )
    # Explanations cost ~20 times the estimate itself: a batch asks for them explicitly.
    explain: bool = Field(
        False,
        description="Include contributions in € and 5 comparables per home "
        "(about 4 ms per home instead of 0.2 ms).",
    )


def parse_batch_request(data: Any) -> BatchRequest:
    """The body of POST /estimates/batch (its items are parsed one by one), strictly."""
    return validate(BatchRequest, data, strict=True)


def parse_single_estimate(
    data: Any, geocode: Geocode, *, today: date | None = None
) -> tuple[Property, Location, bool]:
    """The body of POST /estimates, strictly: the home, its place, and `explain`."""
    request, prop, location = _parse(
        EstimateRequest, data, geocode, SINGLE_ESTIMATE_FIELDS, today, typed=True
    )
    return prop, location, request.explain


def parse_estimate_request(
    data: Any,
    geocode: Geocode,
    *,
    allowed_fields: Collection[str] | None = None,
    today: date | None = None,
    typed: bool = False,
) -> tuple[Property, Location]:
    """Validate a property and locate it; raise `InvalidProperty` listing every bad field."""
    _, prop, location = _parse(PropertyRequest, data, geocode, allowed_fields, today, typed)
    return prop, location


def _parse(
    model: type[PropertyRequest],
    data: Any,
    geocode: Geocode,
    allowed_fields: Collection[str] | None,
    today: date | None,
    typed: bool,
) -> tuple[PropertyRequest, Property, Location]:
    if not isinstance(data, Mapping):
        raise InvalidProperty([FieldError("body", "type", "must be an object of named fields")])
    given, omitted = _given(data, allowed_fields, typed)
    context = {**(JSON_VALUES if typed else FRENCH_TEXT), "today": today}
    request, errors = None, []
    try:
        request = validate(model, given, strict=typed, context=context)
    except InvalidProperty as exc:
        errors, omitted = exc.errors, exc.total - len(exc.errors) + omitted
    bad = {e.field for e in errors}
    # Locate the home even when other fields are bad, so that every error shows at once.
    place = request or validate(
        PlaceFields,
        {k: v for k, v in given.items() if k in PLACE_FIELDS and k not in bad},
        strict=typed,
        context=context,
    )
    location, location_errors = _locate(place, given.keys(), bad, geocode)
    errors += location_errors
    if errors:
        raise InvalidProperty(errors, omitted)
    prop = Property.of(
        request,
        location.latitude,
        location.longitude,
        location.code_commune,
        today,
        precision=location.precision,
        parcel_id=location.parcel_id,
    )
    return request, prop, location


def _given(
    data: Mapping, allowed_fields: Collection[str] | None, typed: bool
) -> tuple[dict[str, Any], int]:
    """The fields present (JSON null and blank text mean absent), and how many unknown
    names were left out unvalidated."""
    if typed:
        given = {k: v for k, v in data.items() if v is not None}
    else:
        given = given_text(data)
    if allowed_fields is None:
        return {k: v for k, v in given.items() if k in ESTIMATE_FIELDS}, 0
    # Names the request does not define go on, to be refused as unknown: the first few
    # only, since each costs an error (a body may hold 200,000 of them).
    unknown = [k for k in given if k not in allowed_fields and k not in ESTIMATE_FIELDS]
    refused = set(unknown[:MAX_FIELD_ERRORS])
    kept = {k: v for k, v in given.items() if k in allowed_fields or k in refused}
    return kept, len(unknown) - len(refused)


def _locate(
    place: PlaceFields, given: Collection[str], bad: set[str], geocode: Geocode
) -> tuple[Location | None, list[FieldError]]:
    """The place given by coordinates, else by address; errors name the field at fault."""
    coordinates = {"latitude", "longitude"} & set(given)
    if coordinates:
        if coordinates & bad:
            return None, []
        if len(coordinates) == 1:
            (missing,) = {"latitude", "longitude"} - coordinates
            return None, [FieldError(missing, "required", "is required with the other coordinate")]
        label = place.address or None
        return Location(place.latitude, place.longitude, "coordinates", "coordinates", label), []
    if "address" in bad:
        return None, []
    if not place.address:
        return None, [
            FieldError("address", "required", "is required (or give latitude and longitude)")
        ]
    location = geocode(place.address)
    if location is None:
        return None, [FieldError("address", "not_found", "could not be located")]
    return location, []
