"""The sales explorer's query string, sort and pages (pure functions, no Flask).

The query is read by one pydantic model of `model.property` types, as text typed in France
("45,5" is a number); a bad parameter is an error naming it, never ignored.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from app.web import french
from app.web.comparables import comparable_rows
from model.property import (
    FRENCH_TEXT,
    FieldError,
    Fields,
    InvalidProperty,
    Latitude,
    Longitude,
    PropertyType,
    bounded,
    given_text,
    one_of,
    validate,
)
from model.sales_queries import SimilarSales

PAGE_SIZE = 25
RADII = ("250", "500", "1000", "2000")
PERIODS = {"12": 12, "24": 24, "36": 36, "60": 60, "tout": None}  # months before the data's end
SORTS = {
    "recent": ("date", True),
    "ancien": ("date", False),
    "prix": ("price", False),
    "prix-desc": ("price", True),
    "m2": ("today_price_per_m2", False),
    "m2-desc": ("today_price_per_m2", True),
    "surface": ("living_area_m2", False),
    "distance": ("distance_m", False),
}
LABELS = {
    "q": "Adresse ou commune",
    "commune": "Commune",
    "lat": "Latitude",
    "lon": "Longitude",
    "type": "Type de bien",
    "surface_min": "Surface minimale",
    "surface_max": "Surface maximale",
    "rooms_min": "Pièces (au moins)",
    "rooms_max": "Pièces (au plus)",
    "period": "Période",
    "radius": "Rayon",
    "sort": "Tri",
    "page": "Page",
}
Absent = SkipJsonSchema[None]
Area = bounded(float, (0, 1000))
RoomCount = bounded(int, (0, 30))


class ExplorerQuery(Fields):
    """GET /ventes and /ventes.csv: a place, filters, a sort and a page."""

    q: Annotated[str, StringConstraints(max_length=200)] | Absent = None
    commune: Annotated[str, StringConstraints(pattern=r"^[0-9][0-9AB][0-9]{3}$")] | Absent = None
    lat: Latitude | Absent = None
    lon: Longitude | Absent = None
    type: PropertyType | Absent = None
    surface_min: Area | Absent = None
    surface_max: Area | Absent = None
    rooms_min: RoomCount | Absent = None
    rooms_max: RoomCount | Absent = None
    period: one_of(tuple(PERIODS)) = "24"
    radius: one_of(RADII) = "500"
    sort: one_of(tuple(SORTS)) = "recent"
    page: bounded(int, (1, 10_000)) = Field(1)

    @property
    def has_place(self) -> bool:
        return bool(self.q) or self.commune is not None or self.lat is not None

    def sales_filter(self, data_until: date) -> dict:
        """The keyword filters of `Estimator.comparables` (None: any)."""
        months = PERIODS[self.period]
        since = None if months is None else data_until - timedelta(days=round(months * 30.44))
        filters: dict = {"property_type": self.type, "date_from": since}
        if self.surface_min is not None or self.surface_max is not None:
            filters["living_area_range"] = (self.surface_min, self.surface_max)
        if self.rooms_min is not None or self.rooms_max is not None:
            filters["rooms_range"] = (self.rooms_min, self.rooms_max)
        return filters


def parse_query(args) -> ExplorerQuery:
    """The query from GET arguments; `InvalidProperty` naming each bad one."""
    data = given_text({k: args.get(k) for k in args})
    query = validate(ExplorerQuery, data, strict=False, context=FRENCH_TEXT)
    errors = []
    if (query.lat is None) != (query.lon is None):
        missing = "lat" if query.lat is None else "lon"
        errors.append(FieldError(missing, "required", "is required with the other coordinate"))
    for low, high in (("surface_min", "surface_max"), ("rooms_min", "rooms_max")):
        lo, hi = getattr(query, low), getattr(query, high)
        if lo is not None and hi is not None and lo > hi:
            errors.append(FieldError(high, "range", "is below the minimum", {"min": lo}))
    if errors:
        raise InvalidProperty(errors)
    return query


def error_messages(errors) -> dict[str, str]:
    """French messages per parameter."""
    out = {}
    for e in errors:
        if e.code == "range" and set(e.params) == {"min"}:
            out.setdefault(e.field, "Doit être supérieur ou égal au minimum.")
        elif e.code == "required" and e.field in ("lat", "lon"):
            out.setdefault(e.field, "Donnez la latitude et la longitude ensemble.")
        elif e.code == "type" and e.field == "commune":
            out.setdefault(e.field, "Code commune INSEE à cinq caractères, par exemple 59350.")
        else:
            out.setdefault(e.field, french.field_error(e))
    return out


def sorted_sales(similar: SimilarSales, sort: str) -> SimilarSales:
    """The sales in the asked order (unknown values last), a stable sort."""
    key, descending = SORTS[sort]
    triples = list(zip(similar.sales, similar.today_price_per_m2, similar.atypical, strict=True))

    def value(item):
        sale, today, _ = item
        v = today if key == "today_price_per_m2" else getattr(sale, key)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return (1, 0)
        if isinstance(v, date):
            v = v.toordinal()
        return (0, -v if descending else v)

    triples.sort(key=value)
    return SimilarSales(
        sales=[t[0] for t in triples],
        today_price_per_m2=[t[1] for t in triples],
        atypical=[t[2] for t in triples],
        radius_m=similar.radius_m,
        since=similar.since,
        area_range=similar.area_range,
        market_month=similar.market_month,
    )


def page_of(similar: SimilarSales, page: int, size: int = PAGE_SIZE) -> dict:
    """One page of rows (numbered across pages) and the pages around it."""
    total = len(similar.sales)
    pages = max(1, math.ceil(total / size))
    page = min(page, pages)
    start = (page - 1) * size
    rows = comparable_rows(similar.part(start, start + size), first_number=start + 1)
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "first": start + 1 if total else 0,
        "last": start + len(rows),
    }
