"""What a commune's page shows, worded from the bundle's values (pure functions)."""

from __future__ import annotations

from app.labels.tranquillity import describe_tranquillity
from app.web import french
from app.web.chart import build_chart
from app.web.result import chart_points
from app.web.tranquillity import tranquillity_panel


def type_block(kind: str, spread, history, recent) -> dict:
    """One property type: recent median, quartiles, count, and the quarterly chart."""
    return {
        "key": kind,
        "label": french.PROPERTY_TYPES[kind] + "s",
        "of_type": french.OF_TYPE[kind],
        "known": bool(spread.sales),
        "sales": french.number(spread.sales),
        "q1": french.euros(spread.q1, 10),
        "median": french.euros(spread.median, 10),
        "q3": french.euros(spread.q3, 10),
        "few": 0 < spread.sales < 10,
        "recent_median": french.euros(recent.median_price_per_m2, 10)
        if recent and recent.median_price_per_m2
        else None,
        "recent_sales": french.number(recent.sales) if recent else "0",
        "chart": build_chart(chart_points(history)),
    }


def latest_rows(sales) -> list[dict]:
    """The latest sales as table rows: the street without its number (DVF reuse)."""
    return [
        {
            "date": french.long_date(c.date),
            "iso_date": c.date.isoformat(),
            "type": french.PROPERTY_TYPES.get(c.property_type, c.property_type),
            "area": french.number(c.living_area_m2),
            "rooms": c.rooms if c.rooms is not None else "—",
            "price": french.euros(c.price),
            "price_per_m2": french.euros(c.price_per_m2, 10),
            "street": c.street or "—",
        }
        for c in sales
    ]


def commune_view(code: str, name: str, blocks: list[dict], latest, extras: dict) -> dict:
    """The page: its title, a block per type, the latest sales and the tranquillity panel.

    `extras`: `since` (date of the spread), `data_until`, `summary` (tranquillity, may be
    None), `population`, `departement_note`.
    """
    return {
        "code": code,
        "name": name,
        "blocks": blocks,
        "latest": latest_rows(latest),
        "since": french.long_date(extras["since"]),
        "data_until": french.long_date(extras["data_until"]),
        "tranquillity": tranquillity_panel(
            describe_tranquillity(extras.get("summary")), name, extras.get("population")
        ),
        "data_note": extras.get("departement_note"),
    }
