"""A home to value, described the same way by the site, the API and batch estimates.

The fields, their bounds and choices are defined once, here, as pydantic types: `HomeFields`
(the home) and `PropertyFields` (the home at its coordinates). JSON is validated strictly
(a string "65" is not a number); text (forms, CSV, query strings) laxly, see `FRENCH_TEXT`.
`validate` turns pydantic's errors into `FieldError`s with stable codes: `required`,
`type`, `choice`, `range`, `unknown` (the app adds `not_found`). `Property` is the frozen
value the estimator takes; `Property.from_mapping` builds it from text or JSON values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

PROPERTY_TYPES = ("apartment", "house")

# Bounds beyond which a value is a typo rather than a home.
LIVING_AREA_RANGE = (9.0, 1000.0)
ROOMS_RANGE = (1, 30)
LAND_AREA_RANGE = (0.0, 100_000.0)
OUTBUILDINGS_RANGE = (0, 20)
LATITUDE_RANGE = (-90.0, 90.0)
LONGITUDE_RANGE = (-180.0, 180.0)
EARLIEST_VALUATION_DATE = date(2014, 1, 1)

ErrorCode = Literal["required", "type", "choice", "range", "unknown", "not_found"]
ERROR_CODES: tuple[str, ...] = get_args(ErrorCode)

# Validation context for text typed by people in France: "65,5" and "1 000" are numbers.
FRENCH_TEXT = {"french": True}
# Validation context for JSON values: a string is never a number.
JSON_VALUES = {"json": True}


@dataclass(frozen=True)
class FieldError:
    """One bad field: `code` is stable (for translations), `message` is in English."""

    field: str
    code: ErrorCode
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


# A request can name thousands of unknown fields: what it is told is bounded.
MAX_FIELD_ERRORS = 20


class InvalidProperty(ValueError):
    """Raised with every bad field of a request, not just the first.

    `errors` holds at most `MAX_FIELD_ERRORS` of them (every error of a known field, then
    unknown ones); `total` counts them all, `omitted` (unknown names never validated) included.
    """

    def __init__(self, errors: list[FieldError], omitted: int = 0):
        known = [e for e in errors if e.code != "unknown"]
        unknown = [e for e in errors if e.code == "unknown"]
        kept = unknown[: max(0, MAX_FIELD_ERRORS - len(known))] + known[:MAX_FIELD_ERRORS]
        kept_ids = {id(e) for e in kept}
        self.errors = [e for e in errors if id(e) in kept_ids]
        self.total = len(errors) + omitted
        more = self.total - len(self.errors)
        listed = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(listed + (f"; and {more} more" if more else ""))


# --- values written as text ----------------------------------------------------------------

# ASCII digits only: Python's float() and int() also take other scripts' digits and "1_0".
_NUMBER = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_WHOLE = re.compile(r"-?[0-9]+")
# date.fromisoformat also takes "20240101" and week dates; a date here is YYYY-MM-DD.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _type_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("type", message)


# Any bound here is far below this: a longer number is out of range, and is never handed
# to int() (4,300 digits: ValueError) or float() (10**400: OverflowError).
_MAX_MAGNITUDE = 10**15
_HUGE = object()  # what the readers below return for such a number


def _read_number(value: Any, info: ValidationInfo, whole: bool) -> Any:
    """A number from JSON or text, `_HUGE` when beyond any bound, else a type error.

    Text (forms, CSV, query strings) takes the JSON number syntax, plus a French decimal
    comma and thousands spaces in a form; a whole number may be written 3.0 or 1e1, as
    in JSON. Strict JSON values stay what they are (a string is not a number there).
    """
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        raise _type_error(f"must be {kind}")
    if isinstance(value, str) and not (info.context or {}).get("json"):
        if (info.context or {}).get("french"):
            value = value.replace(",", ".").replace(" ", "").replace("\u202f", "")
        if not _NUMBER.fullmatch(value):
            raise _type_error(f"must be {kind}")
        mantissa = value.lstrip("-").partition("e")[0].partition("E")[0].partition(".")[0]
        if len(mantissa.lstrip("0")) > 15:
            return _HUGE
        value = float(value) if not _WHOLE.fullmatch(value) else int(value)
    if isinstance(value, int) and abs(value) > _MAX_MAGNITUDE:
        return _HUGE
    if isinstance(value, float):
        if math.isinf(value) or abs(value) > _MAX_MAGNITUDE:
            return _HUGE
        if whole and value.is_integer():
            return int(value)  # JSON Schema counts 3.0 as an integer; so do we
    return value


def _day(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _type_error("must be an ISO date (YYYY-MM-DD)")


IsoDate = Annotated[date, BeforeValidator(_day)]


def bounded(kind: type[float] | type[int], bounds: tuple, **schema: Any) -> Any:
    """`kind` between `bounds` (inclusive), shown in the schema; errors name both ends."""
    low, high = bounds

    def out_of_range() -> PydanticCustomError:
        message = f"must be between {low:g} and {high:g}"
        return PydanticCustomError("range", message, {"min": low, "max": high})

    def read(value: Any, info: ValidationInfo) -> Any:
        value = _read_number(value, info, whole=kind is int)
        if value is _HUGE:
            raise out_of_range()
        return value

    def check(value):
        if not low <= value <= high:
            raise out_of_range()
        return value

    if kind is int:
        base, json_type = int, "integer"
    else:
        base, json_type = Annotated[float, Field(allow_inf_nan=False)], "number"
    json_schema = {"type": json_type, "minimum": low, "maximum": high, **schema}
    return Annotated[
        base, BeforeValidator(read), AfterValidator(check), WithJsonSchema(json_schema)
    ]


def one_of(choices: tuple[str, ...]) -> Any:
    """A string among `choices`; the error lists them."""

    def check(value: str) -> str:
        if value not in choices:
            message = f"must be one of {', '.join(choices)}"
            raise PydanticCustomError("choice", message, {"allowed": choices})
        return value

    json_schema = {"type": "string", "enum": list(choices)}
    return Annotated[str, Field(min_length=1), AfterValidator(check), WithJsonSchema(json_schema)]


# --- pydantic's errors to stable codes -----------------------------------------------------

# Wording of pydantic's error types: (code, message) or (code, message, params).
_MESSAGES: dict[str, tuple] = {
    "missing": ("required", "is required"),
    "extra_forbidden": ("unknown", "is not a known field"),
    "string_type": ("type", "must be a string"),
    "string_too_short": ("type", "must not be empty (leave the field out)"),
    "list_type": ("type", "must be a list"),
    **dict.fromkeys(("bool_type", "bool_parsing"), ("type", "must be true or false")),
    **dict.fromkeys(("float_type", "float_parsing", "finite_number"), ("type", "must be a number")),
    **dict.fromkeys(
        ("int_type", "int_parsing", "int_from_float", "int_parsing_size"),
        ("type", "must be a whole number"),
    ),
    **dict.fromkeys(
        ("model_type", "model_attributes_type", "dict_type"),
        ("type", "must be an object of named fields"),
    ),
}


class Fields(BaseModel):
    """Base of the models that read requests; `messages` overrides wording per error type."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    messages: ClassVar[Mapping[str, tuple]] = {}


M = TypeVar("M", bound=BaseModel)


def field_errors(error: ValidationError, model: type[BaseModel]) -> list[FieldError]:
    """One `FieldError` per pydantic error, unknown fields first."""
    messages = {**_MESSAGES, **getattr(model, "messages", {})}
    found = []
    for e in error.errors(include_url=False, include_input=False):
        if e["type"] == "none_required":
            continue  # the other branch of `X | None` says what is wrong
        name = str(e["loc"][0]) if e["loc"] else "body"
        if e["type"] in ERROR_CODES:  # ours: code, message and parameters already stable
            found.append(FieldError(name, e["type"], e["msg"], dict(e.get("ctx") or {})))
            continue
        code, message, *params = messages.get(e["type"], ("type", "is not valid"))
        params = params[0] if params else {}
        if e["type"] == "string_too_long":
            limit = e["ctx"]["max_length"]
            code, message, params = "range", f"must be at most {limit} characters", {"max": limit}
        elif code == "unknown":
            params = {"allowed": sorted(model.model_fields)}
        found.append(FieldError(name, code, message, params))
    return sorted(found, key=lambda e: e.code != "unknown")


def validate(model: type[M], data: Any, *, strict: bool, context: Mapping | None = None) -> M:
    """`model` from `data`, or `InvalidProperty` naming each bad field."""
    try:
        return model.model_validate(data, strict=strict, context=context)
    except ValidationError as exc:
        raise InvalidProperty(field_errors(exc, model)) from None


def given_text(data: Mapping[str, Any]) -> dict[str, Any]:
    """Text values as a form or a CSV sends them: stripped, and a blank means absent."""
    out = {}
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if value is not None and value != "":
            out[name] = value
    return out


# --- the fields of a home ------------------------------------------------------------------


def _in_valuation_window(day: date, info: ValidationInfo) -> date:
    today = (info.context or {}).get("today") or date.today()
    if not EARLIEST_VALUATION_DATE <= day <= today + timedelta(days=366):
        message = f"must be between {EARLIEST_VALUATION_DATE} and one year from today"
        raise PydanticCustomError("range", message)
    return day


PropertyType = one_of(PROPERTY_TYPES)
LivingArea = bounded(float, LIVING_AREA_RANGE)
Rooms = bounded(int, ROOMS_RANGE, description="Main rooms (pièces principales).")
LandArea = bounded(float, LAND_AREA_RANGE)
Outbuildings = bounded(
    int, OUTBUILDINGS_RANGE, description="Cellars, parkings, garages sold with it."
)
ValuationDate = Annotated[IsoDate, AfterValidator(_in_valuation_window)]
Latitude = bounded(float, LATITUDE_RANGE, description="WGS84 degrees")
Longitude = bounded(float, LONGITUDE_RANGE, description="WGS84 degrees")


class HomeFields(Fields):
    """What describes a home, wherever it is."""

    property_type: PropertyType
    living_area_m2: LivingArea
    rooms: Rooms
    land_area_m2: LandArea | None = None
    outbuildings: Outbuildings | None = None
    valuation_date: ValuationDate | None = Field(
        None, description=f"Default: today. From {EARLIEST_VALUATION_DATE} to one year ahead."
    )


class PropertyFields(HomeFields):
    """A home at its coordinates, as `Property.from_mapping` reads it."""

    model_config = ConfigDict(extra="ignore")

    latitude: Latitude
    longitude: Longitude
    code_commune: str | None = None


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
    # How precisely the place is known: the geocoder's precision (`housenumber`, `street`,
    # `municipality`, ...); None for coordinates. Ranges and confidence follow it.
    precision: str | None = None
    # The cadastral parcel when the place's geocoding knows it (else the nearest sale's).
    parcel_id: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, today: date | None = None) -> Property:
        """Build a property from text or JSON values, or raise `InvalidProperty`."""
        context = {**FRENCH_TEXT, "today": today}
        fields = validate(PropertyFields, given_text(data), strict=False, context=context)
        return cls.of(fields, fields.latitude, fields.longitude, fields.code_commune, today)

    @classmethod
    def of(
        cls,
        home: HomeFields,
        latitude: float,
        longitude: float,
        code_commune: str | None = None,
        today: date | None = None,
        precision: str | None = None,
        parcel_id: str | None = None,
    ) -> Property:
        """The property of validated fields at a place (the valuation date defaults to today)."""
        return cls(
            property_type=home.property_type,
            living_area_m2=home.living_area_m2,
            rooms=home.rooms,
            latitude=float(latitude),
            longitude=float(longitude),
            valuation_date=home.valuation_date or today or date.today(),
            land_area_m2=home.land_area_m2,
            outbuildings=home.outbuildings or 0,
            code_commune=code_commune,
            precision=precision,
            parcel_id=parcel_id,
        )
