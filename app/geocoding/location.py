"""What a geocoder answers: a place, how precisely it was found, and by which source."""

from __future__ import annotations

from dataclasses import dataclass

# How precisely an address was located, most precise first ("interpolated": a house number
# the offline index placed between the known numbers of its street side).
PRECISIONS = ("housenumber", "interpolated", "street", "municipality", "postcode", "coordinates")


@dataclass(frozen=True)
class Location:
    """A geocoded place."""

    latitude: float
    longitude: float
    precision: str  # one of PRECISIONS
    source: str  # "ban-api" | "offline-ban" | "offline-dvf" | "commune-centroid" | "coordinates"
    label: str | None = None  # the address as understood, for display (never logged)
    code_commune: str | None = None  # INSEE code (arrondissement in Paris, Lyon, Marseille)
    postcode: str | None = None
    # The cadastral parcel of earlier sales at this address (offline index), so that the
    # home gets its parcel's history; None when unknown.
    parcel_id: str | None = None
