"""French number and month formats, shared by the site and the labels."""

from __future__ import annotations

import math

NBSP = "\u202f"  # narrow no-break space: French thousands separator and before units

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month(period: str | None) -> str:
    """`2025-03` -> `mars 2025`."""
    try:
        year, mon = str(period).split("-")[:2]
        return f"{MONTHS[int(mon) - 1]} {int(year)}"
    except (ValueError, IndexError):
        return str(period or "")


def number(value: float | int | None, digits: int = 0) -> str:
    """`1234567.8` -> `1 234 568` (narrow no-break spaces, decimal comma)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",")
