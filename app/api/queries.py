"""Query strings of the GET endpoints to typed values, naming each bad parameter."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.api import spec
from app.requests import MAX_ADDRESS_LENGTH
from model.property import PROPERTY_TYPES, FieldError, InvalidProperty

# ASCII digits only: Python's \d and float() also take other scripts' digits.
_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODE_COMMUNE = re.compile(spec.CODE_COMMUNE_PATTERN)


@dataclass(frozen=True)
class PointQuery:
    """A place: coordinates, or an address to geocode."""

    latitude: float | None
    longitude: float | None
    address: str | None


@dataclass(frozen=True)
class ComparablesQuery:
    point: PointQuery
    property_type: str | None
    living_area_range: tuple[float | None, float | None] | None
    rooms_range: tuple[int | None, int | None] | None
    date_from: date | None
    date_to: date | None
    radius_m: int
    limit: int


@dataclass(frozen=True)
class NeighbourhoodQuery:
    point: PointQuery
    code_commune: str | None
    on: date | None


class _Reader:
    """Reads query parameters one by one and collects what is wrong with them."""

    def __init__(self, args, allowed: tuple[str, ...]):
        self.values: dict[str, str] = {}
        self.errors: list[FieldError] = []
        for name in args:
            values = args.getlist(name) if hasattr(args, "getlist") else [args[name]]
            if name not in allowed:
                self.errors.append(
                    FieldError(
                        name, "unknown", "is not a known parameter", {"allowed": list(allowed)}
                    )
                )
            elif len(values) > 1:
                self.errors.append(FieldError(name, "type", "must be given once"))
            elif not values[0].strip():
                # `?code_commune=` is a mistake to report, not a parameter left out.
                self.errors.append(FieldError(name, "type", "must not be empty"))
            else:
                self.values[name] = values[0]

    def _get(self, name: str) -> str | None:
        return self.values.get(name)

    def number(self, name: str, low: float, high: float) -> float | None:
        raw = self._get(name)
        if raw is None:
            return None
        if not _NUMBER.fullmatch(raw) or not math.isfinite(value := float(raw)):
            return self._error(name, "type", "must be a number")
        if not low <= value <= high:
            return self._error(
                name, "range", f"must be between {low:g} and {high:g}", {"min": low, "max": high}
            )
        return value

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int | None:
        raw = self._get(name)
        if raw is None:
            return default
        if not _INTEGER.fullmatch(raw):
            return self._error(name, "type", "must be a whole number")
        value = int(raw)
        if not low <= value <= high:
            return self._error(
                name, "range", f"must be between {low} and {high}", {"min": low, "max": high}
            )
        return value

    def day(self, name: str) -> date | None:
        raw = self._get(name)
        if raw is None:
            return None
        try:
            # fromisoformat also takes "20240101" and week dates: insist on YYYY-MM-DD.
            if not _DATE.fullmatch(raw):
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            return self._error(name, "type", "must be an ISO date (YYYY-MM-DD)")

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        raw = self._get(name)
        if raw is None or raw in allowed:
            return raw
        return self._error(
            name, "choice", f"must be one of {', '.join(allowed)}", {"allowed": list(allowed)}
        )

    def text(self, name: str, max_length: int) -> str | None:
        raw = self._get(name)
        if raw is not None and len(raw) > max_length:
            return self._error(
                name, "range", f"must be at most {max_length} characters", {"max": max_length}
            )
        return None if raw is None else raw.strip()

    def _error(self, name: str, code: str, message: str, params: Mapping | None = None):
        self.errors.append(FieldError(name, code, message, dict(params or {})))
        return None

    def point(self) -> PointQuery:
        latitude = self.number("latitude", -90, 90)
        longitude = self.number("longitude", -180, 180)
        address = self.text("address", MAX_ADDRESS_LENGTH)
        given = [
            n for n in ("latitude", "longitude") if self._get(n) is not None or n in self._bad()
        ]
        if len(given) == 1:
            missing = "longitude" if given == ["latitude"] else "latitude"
            self._error(missing, "required", "is required with the other coordinate")
        elif not given and address is None and "address" not in self._bad():
            self._error("address", "required", "is required (or give latitude and longitude)")
        return PointQuery(latitude, longitude, address)

    def _bad(self) -> set[str]:
        return {e.field for e in self.errors}

    def range_of(self, low_name: str, high_name: str, low, high):
        if low is not None and high is not None and low > high:
            self._error(high_name, "range", f"must not be below {low_name}", {"min": low})
        return None if low is None and high is None else (low, high)

    def done(self) -> None:
        if self.errors:
            raise InvalidProperty(self.errors)


COMPARABLES_PARAMETERS = tuple(p["name"] for p in spec.COMPARABLES_PARAMETERS)
NEIGHBOURHOOD_PARAMETERS = tuple(p["name"] for p in spec.NEIGHBOURHOOD_PARAMETERS)


def parse_comparables_query(args: Any) -> ComparablesQuery:
    """GET /comparables parameters, or `InvalidProperty` naming each bad one."""
    reader = _Reader(args, COMPARABLES_PARAMETERS)
    point = reader.point()
    property_type = reader.choice("property_type", PROPERTY_TYPES)
    area = reader.range_of(
        "living_area_min",
        "living_area_max",
        reader.number("living_area_min", 0, 10_000),
        reader.number("living_area_max", 0, 10_000),
    )
    rooms = reader.range_of(
        "rooms_min",
        "rooms_max",
        reader.integer("rooms_min", 0, 100),
        reader.integer("rooms_max", 0, 100),
    )
    date_from, date_to = reader.day("date_from"), reader.day("date_to")
    reader.range_of("date_from", "date_to", date_from, date_to)
    radius = reader.integer("radius_m", *spec.RADIUS_RANGE, default=1000)
    limit = reader.integer("limit", *spec.COMPARABLES_LIMIT_RANGE, default=20)
    reader.done()
    return ComparablesQuery(point, property_type, area, rooms, date_from, date_to, radius, limit)


def parse_neighbourhood_query(args: Any) -> NeighbourhoodQuery:
    """GET /neighbourhood parameters, or `InvalidProperty` naming each bad one."""
    reader = _Reader(args, NEIGHBOURHOOD_PARAMETERS)
    point = reader.point()
    code = reader.text("code_commune", 5)
    if code is not None and not _CODE_COMMUNE.fullmatch(code):
        code = reader._error("code_commune", "type", "must be an INSEE commune code (5 characters)")
    on = reader.day("date")
    reader.done()
    return NeighbourhoodQuery(point, code, on)
