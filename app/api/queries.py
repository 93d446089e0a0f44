"""Query strings of the GET endpoints to typed values, naming each bad parameter.

Each query is a model of `model.property` types read from text (ASCII numbers, ISO dates):
the spec lists its fields as the operation's parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Annotated, Any, TypeVar

from pydantic import Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from app.requests import Address
from model.property import (
    FieldError,
    Fields,
    InvalidProperty,
    IsoDate,
    Latitude,
    Longitude,
    PropertyType,
    bounded,
    validate,
)

RADIUS_RANGE = (10, 5000)
COMPARABLES_LIMIT_RANGE = (1, 100)
CODE_COMMUNE_PATTERN = r"^([0-9]{5}|2[AB][0-9]{3})$"

# A query parameter is absent, never null: the schema does not offer null.
Absent = SkipJsonSchema[None]
Area = bounded(float, (0, 10_000))
RoomCount = bounded(int, (0, 100))
Radius = bounded(int, RADIUS_RANGE)
Limit = bounded(int, COMPARABLES_LIMIT_RANGE)
CodeCommune = Annotated[str, StringConstraints(pattern=CODE_COMMUNE_PATTERN)]


class PointQuery(Fields):
    """A place: coordinates, or an address to geocode."""

    messages = {"extra_forbidden": ("unknown", "is not a known parameter")}

    latitude: Latitude | Absent = Field(None, description="With longitude; or give address.")
    longitude: Longitude | Absent = Field(None, description="With latitude; or give address.")
    address: Address | Absent = Field(None, description="Geocoded when no coordinates are given.")

    @property
    def point(self) -> PointQuery:
        """The place asked about (the query itself: its other parameters are filters)."""
        return self

    def cross_errors(self, given: Collection[str], bad: set[str]) -> list[FieldError]:
        """Parameters that are wrong together: here, a place half given or not given."""
        coordinates = {"latitude", "longitude"} & set(given)
        if len(coordinates) == 1:
            (missing,) = {"latitude", "longitude"} - coordinates
            return [FieldError(missing, "required", "is required with the other coordinate")]
        if not coordinates and self.address is None and "address" not in bad:
            return [
                FieldError("address", "required", "is required (or give latitude and longitude)")
            ]
        return []


class ComparablesQuery(PointQuery):
    """GET /comparables: past sales around a point, filtered."""

    property_type: PropertyType | Absent = Field(None, description="Only this type.")
    living_area_min: Area | Absent = Field(None, description="m²")
    living_area_max: Area | Absent = Field(None, description="m²")
    rooms_min: RoomCount | Absent = None
    rooms_max: RoomCount | Absent = None
    date_from: IsoDate | Absent = Field(None, description="Sales on or after.")
    date_to: IsoDate | Absent = Field(None, description="Sales on or before.")
    radius_m: Radius = Field(1000, description="Search radius, m.")
    limit: Limit = Field(20, description="Nearest first.")

    @property
    def living_area_range(self) -> tuple[float | None, float | None] | None:
        return _range(self.living_area_min, self.living_area_max)

    @property
    def rooms_range(self) -> tuple[int | None, int | None] | None:
        return _range(self.rooms_min, self.rooms_max)

    def cross_errors(self, given: Collection[str], bad: set[str]) -> list[FieldError]:
        """A place, and each range's low end at most its high end."""
        errors = super().cross_errors(given, bad)
        for low, high in (
            ("living_area_min", "living_area_max"),
            ("rooms_min", "rooms_max"),
            ("date_from", "date_to"),
        ):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                errors.append(
                    FieldError(high, "range", f"must not be below {low}", {"min": low_value})
                )
        return errors


class NeighbourhoodQuery(PointQuery):
    """GET /neighbourhood: what is known about a place."""

    messages = {
        **PointQuery.messages,
        "string_pattern_mismatch": ("type", "must be an INSEE commune code (5 characters)"),
    }

    code_commune: CodeCommune | Absent = Field(
        None, description="INSEE code; found from the point when absent."
    )
    date: IsoDate | Absent = Field(None, description="Figures known on this day (default today).")

    @property
    def on(self) -> dt.date | None:
        """The day the figures are asked for (None: today)."""
        return self.date


def _range(low, high):
    return None if low is None and high is None else (low, high)


COMPARABLES_PARAMETERS = tuple(ComparablesQuery.model_fields)
NEIGHBOURHOOD_PARAMETERS = tuple(NeighbourhoodQuery.model_fields)

Q = TypeVar("Q", bound=PointQuery)


def parse_comparables_query(args: Any) -> ComparablesQuery:
    """GET /comparables parameters, or `InvalidProperty` naming each bad one."""
    return _parse(ComparablesQuery, args)


def parse_neighbourhood_query(args: Any) -> NeighbourhoodQuery:
    """GET /neighbourhood parameters, or `InvalidProperty` naming each bad one."""
    return _parse(NeighbourhoodQuery, args)


def _parse(model: type[Q], args: Any) -> Q:
    values, errors = _given_once(args, model)
    bad = {e.field for e in errors}
    try:
        query = validate(model, values, strict=False)
    except InvalidProperty as exc:
        errors += exc.errors
        bad |= {e.field for e in exc.errors}
        # Every parameter is optional: the valid rest is still checked as a whole.
        query = validate(model, {k: v for k, v in values.items() if k not in bad}, strict=False)
    errors += query.cross_errors(args.keys(), bad)
    if errors:
        raise InvalidProperty(errors)
    return query


def _given_once(args: Any, model: type[PointQuery]) -> tuple[dict[str, str], list[FieldError]]:
    """One text value per parameter; a repeated or empty parameter is a mistake to report."""
    values: dict[str, str] = {}
    errors: list[FieldError] = []
    for name in args:
        given = args.getlist(name) if hasattr(args, "getlist") else [args[name]]
        if name not in model.model_fields:
            values[name] = given[0]  # refused by the model as unknown
        elif len(given) > 1:
            errors.append(FieldError(name, "type", "must be given once"))
        elif not given[0].strip():
            # `?code_commune=` is a mistake to report, not a parameter left out.
            errors.append(FieldError(name, "type", "must not be empty"))
        else:
            values[name] = given[0]
    return values, errors
