"""Where a typed house number lands on a street the offline index found.

A number the index holds is placed at its point (precision `housenumber`, with the parcel
of earlier sales at that address when its suffix matches); one it lacks, between the
known numbers of its street side (`interpolated`); beyond them, at the nearest known one
(`street`); with no number, at the street's centre (`street`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.geocoding.interpolation import Known, interpolate, nearest
from app.geocoding.location import Location
from model.address_text import ParsedQuery, street_label

if TYPE_CHECKING:
    from app.geocoding.offline import Street


def street_location(
    street: Street,
    parsed: ParsedQuery,
    prefix: bool,
    rows: Callable[..., list],
    parcel_column: str = "NULL",
) -> Location:
    """The place of `parsed`'s number on `street`; `rows(sql, *args)` reads the index
    (within the search's time limit), `parcel_column` names its parcel column or NULL."""
    name = street_label(street.street)
    place = f"{street.postcode} {street.commune_name}".strip()

    def located(lat, lon, precision: str, label: str, code, parcel=None) -> Location:
        return Location(
            latitude=float(lat),
            longitude=float(lon),
            precision=precision,
            source=f"offline-{street.source}",
            label=f"{label}{name} {place}",
            code_commune=str(code),
            postcode=street.postcode or None,
            parcel_id=parcel,
        )

    typed = ""
    if parsed.number is not None:
        hits = rows(
            f"SELECT suffix, latitude, longitude, code_commune, {parcel_column} FROM numbers "
            "WHERE street_id = ? AND number = ? ORDER BY rowid",
            street.id,
            parsed.number,
        )
        want = parsed.suffix or ""
        exact = [h for h in hits if h[0] == want]
        if hits:
            _, lat, lon, code, parcel = (exact or hits)[0]
            suffix = f" {want}" if want and exact else ""
            # Another suffix's point is near, but its parcel is not this home's.
            parcel = (parcel or None) if exact else None
            return located(lat, lon, "housenumber", f"{parsed.number}{suffix} ", code, parcel)
        typed = f"{parsed.number}{f' {want}' if want else ''} "
        known = [Known(*row) for row in rows(
            "SELECT number, suffix, latitude, longitude, code_commune FROM numbers "
            "WHERE street_id = ?",
            street.id,
        )]  # fmt: skip
        placed = interpolate(parsed.number, parsed.suffix, known)
        if placed is not None:
            return located(
                placed.latitude, placed.longitude, "interpolated", typed, placed.code_commune
            )
        if not prefix:  # a suggestion keeps the number typed, though the index lacks it
            typed = ""
        closest = nearest(parsed.number, parsed.suffix, known)
        if closest is not None:  # the street, at its known number nearest the one typed
            lat, lon, code = closest.latitude, closest.longitude, closest.code_commune
            return located(lat, lon, "street", typed, code)
    return located(street.latitude, street.longitude, "street", typed, street.code_commune)
