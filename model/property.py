"""A home to value, described the same way by the site, the API and batch estimates.

`Property.from_mapping` is the one constructor: it takes raw values (form strings or
JSON values), checks every field and raises `InvalidProperty` naming each bad one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

PROPERTY_TYPES = ("apartment", "house")

# Bounds beyond which a value is a typo rather than a home.
LIVING_AREA_RANGE = (9.0, 1000.0)
ROOMS_RANGE = (1, 30)
LAND_AREA_RANGE = (0.0, 100_000.0)
OUTBUILDINGS_RANGE = (0, 20)
EARLIEST_VALUATION_DATE = date(2014, 1, 1)


@dataclass(frozen=True)
class FieldError:
    """One bad field: `code` is stable (for translations), `message` is in English."""

    field: str
    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


class InvalidProperty(ValueError):
    """Raised with every bad field of a request, not just the first."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Property:
    """A home at a place and a date. Coordinates are WGS84 degrees."""

    property_type: str
    living_area_m2: float
    rooms: int
    latitude: float
    longitude: float
    valuation_date: date
    land_area_m2: float | None = None
    outbuildings: int = 0
    # INSEE code of the commune (arrondissement for Paris, Lyon, Marseille) when known.
    code_commune: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, today: date | None = None) -> Property:
        """Build a property from raw values, or raise `InvalidProperty` listing each bad field."""
        parser = _Parser(data)
        prop_type = parser.choice("property_type", PROPERTY_TYPES)
        living = parser.number("living_area_m2", LIVING_AREA_RANGE)
        rooms = parser.integer("rooms", ROOMS_RANGE)
        latitude = parser.number("latitude", (-90.0, 90.0))
        longitude = parser.number("longitude", (-180.0, 180.0))
        land = parser.number("land_area_m2", LAND_AREA_RANGE, required=False)
        outbuildings = parser.integer("outbuildings", OUTBUILDINGS_RANGE, required=False)
        valuation = parser.day("valuation_date", today or date.today())
        code_commune = parser.text("code_commune", required=False)
        if parser.errors:
            raise InvalidProperty(parser.errors)
        return cls(
            property_type=prop_type,
            living_area_m2=living,
            rooms=rooms,
            latitude=latitude,
            longitude=longitude,
            valuation_date=valuation,
            land_area_m2=land,
            outbuildings=outbuildings or 0,
            code_commune=code_commune,
        )


class _Parser:
    """Reads fields one by one and collects what is wrong with them."""

    def __init__(self, data: Mapping[str, Any]):
        self.data = data
        self.errors: list[FieldError] = []

    def _raw(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return None
        return value

    def _missing(self, name: str, required: bool) -> None:
        if required:
            self.errors.append(FieldError(name, "required", "is required"))

    def choice(self, name: str, allowed: tuple[str, ...]) -> Any:
        value = self._raw(name)
        if value is None:
            return self._missing(name, True)
        if value not in allowed:
            self.errors.append(
                FieldError(
                    name, "choice", f"must be one of {', '.join(allowed)}", {"allowed": allowed}
                )
            )
            return None
        return value

    def number(self, name: str, bounds: tuple[float, float], required: bool = True) -> Any:
        value = self._raw(name)
        if value is None:
            return self._missing(name, required)
        if isinstance(value, bool):
            self.errors.append(FieldError(name, "type", "must be a number"))
            return None
        if isinstance(value, str):
            try:
                value = float(value.replace(",", ".").replace(" ", "").replace("\u202f", ""))
            except ValueError:
                self.errors.append(FieldError(name, "type", "must be a number"))
                return None
        if not isinstance(value, int | float) or not math.isfinite(value):
            self.errors.append(FieldError(name, "type", "must be a number"))
            return None
        low, high = bounds
        if not low <= value <= high:
            self.errors.append(
                FieldError(
                    name,
                    "range",
                    f"must be between {low:g} and {high:g}",
                    {"min": low, "max": high},
                )
            )
            return None
        return float(value)

    def integer(self, name: str, bounds: tuple[int, int], required: bool = True) -> Any:
        value = self._raw(name)
        if value is None:
            return self._missing(name, required)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append(FieldError(name, "type", "must be a whole number"))
            return None
        low, high = bounds
        if not low <= value <= high:
            self.errors.append(
                FieldError(
                    name, "range", f"must be between {low} and {high}", {"min": low, "max": high}
                )
            )
            return None
        return value

    def day(self, name: str, default: date) -> Any:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, date):
            parsed = value
        else:
            try:
                parsed = date.fromisoformat(str(value))
            except ValueError:
                self.errors.append(FieldError(name, "type", "must be an ISO date (YYYY-MM-DD)"))
                return None
        if not EARLIEST_VALUATION_DATE <= parsed <= default + timedelta(days=366):
            self.errors.append(
                FieldError(
                    name,
                    "range",
                    f"must be between {EARLIEST_VALUATION_DATE} and one year from today",
                )
            )
            return None
        return parsed

    def text(self, name: str, required: bool) -> Any:
        value = self._raw(name)
        if value is None:
            return self._missing(name, required)
        if not isinstance(value, str):
            self.errors.append(FieldError(name, "type", "must be a string"))
            return None
        return value
