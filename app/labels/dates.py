"""French month names, shared by the site's formats and the labels."""

from __future__ import annotations

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
