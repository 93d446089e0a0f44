"""What to show about one place at a date, as structured values (no wording).

Plain typed dicts, JSON-serialisable as they are: group ids, rates, years, percentiles,
ratios, trends, camera counts, the sources of the bundle. Unknown is None, never 0. The
app adds the labels, units and notes (`app.labels.tranquillity`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict

import numpy as np

from model.geography import departement_of
from model.tranquillity.cameras import CAMERA_FEATURES, NEAREST_CAP_M
from model.tranquillity.tables import FRANCE, GROUPS, IncidentTables

# The trend compares the rate with the one this many years earlier.
TREND_YEARS = 5


class GroupFigures(TypedDict):
    """One incident group of a commune: the rate the features use, and its context."""

    rate: float | None  # per 1000 inhabitants (per 1000 dwellings for burglaries)
    year: int | None  # the year of the rate
    percentile: float | None  # among the communes that year
    departement_rate: float | None
    ratio_to_departement: float | None
    france_rate: float | None
    trend_5y_pct: float | None  # change since TREND_YEARS before `year`
    history: dict[str, float]  # year (as text, like JSON keys) -> rate


class CameraCounts(TypedDict):
    """Cameras around the point; None (unknown) outside the communes with complete lists."""

    covered: bool
    within_100m: int | None
    within_250m: int | None
    within_500m: int | None
    undated_within_250m: int | None
    nearest_m: float | None
    nearest_capped_at_m: float


class Summary(TypedDict):
    """The tranquillity of one place at a date."""

    code_commune_stats: str
    departement: str | None
    on_date: str  # ISO date
    incidents: dict[str, GroupFigures]  # by group id, in GROUPS order
    cameras: CameraCounts
    sources: list[dict]  # as `prepare` wrote them in `sources.json`


def incident_figures(
    tables: IncidentTables, code: str, dated: bool, year: int
) -> dict[str, GroupFigures]:
    """Per group, the figures `features` uses at a date in `year`, and their context."""
    commune_row = tables.communes.row(code) if dated else -1
    dep_row = tables.departements.row(departement_of(code))
    france_row = tables.departements.row(FRANCE)
    groups = {}
    for group in GROUPS:
        column = f"{group}_rate"
        value, used = tables.communes.latest_one(column, commune_row, year - 1)
        # The rate as the features give it (float32), so the page shows what the model saw.
        rate = _number(np.float32(value))
        if rate is None:
            groups[group] = _unknown()
            continue
        dep_rate = _number(tables.departements.value(column, dep_row, used))
        france = _number(tables.departements.value(column, france_row, used))
        percentile = tables.communes.value(f"{group}_percentile", commune_row, used)
        history = {
            y: _number(tables.communes.value(column, commune_row, y))
            for y in range(used - TREND_YEARS, used + 1)
        }
        history = {y: round(v, 2) for y, v in history.items() if v is not None}
        before = history.get(used - TREND_YEARS)
        groups[group] = GroupFigures(
            rate=round(rate, 2),
            year=used,
            percentile=_number(percentile, 1),
            departement_rate=_number(dep_rate, 2),
            ratio_to_departement=_number(rate / dep_rate, 2) if dep_rate else None,
            france_rate=_number(france, 2),
            trend_5y_pct=_number(100 * (rate / before - 1), 1) if before else None,
            history={str(y): v for y, v in history.items()},
        )
    return groups


def _unknown() -> GroupFigures:
    """Every figure unknown: the group is not published for this commune and date."""
    return GroupFigures(**dict.fromkeys(GroupFigures.__annotations__, None) | {"history": {}})


def copy_figures(groups: dict[str, GroupFigures]) -> dict[str, GroupFigures]:
    """A copy a caller may edit without changing the cached original."""
    return {group: {**entry, "history": dict(entry["history"])} for group, entry in groups.items()}


def camera_counts(point: Sequence[float], covered: bool) -> CameraCounts:
    """The camera part of a summary from the camera features of the point."""
    # As float32, like the features: the page shows what the model saw.
    row = dict(zip(CAMERA_FEATURES, np.array(point, dtype="float32").tolist(), strict=True))
    known = row["tq_cameras_250m"] == row["tq_cameras_250m"]  # not NaN
    return CameraCounts(
        covered=covered,
        within_100m=_count(row["tq_cameras_100m"]),
        within_250m=_count(row["tq_cameras_250m"]),
        within_500m=_count(row["tq_cameras_500m"]),
        undated_within_250m=_count(row["tq_cameras_250m_undated"]),
        nearest_m=_number(row["tq_camera_nearest_m"], 0) if known else None,
        nearest_capped_at_m=NEAREST_CAP_M,
    )


def _number(value, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _count(value) -> int | None:
    return None if value is None or not math.isfinite(float(value)) else int(value)
