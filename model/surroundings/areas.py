"""Values of areas (communes, IRIS) by vintage, and the IRIS a point lies in.

A value is known for a code and a vintage year; a date sees the latest vintage published
by then: year + `PUBLICATION_LAG_YEARS` ≤ the date's year (INSEE publishes Filosofi and
the BPE about two years after their year), else NaN. Never a later vintage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

# Years between a vintage's year and the first year it may be used.
PUBLICATION_LAG_YEARS = 2
AREA_COLUMNS = ["code", "name", "year", "value"]


class AreaValues:
    """`value` of (code, name, year) rows: per name, per vintage, a code → value map."""

    def __init__(self, table: pd.DataFrame):
        self.vintages: dict[str, list[tuple[int, dict]]] = {}
        for (name, year), part in table.groupby(["name", "year"], sort=True):
            values = dict(zip(part["code"].astype(str), part["value"].astype(float), strict=True))
            self.vintages.setdefault(str(name), []).append((int(year), values))

    def __contains__(self, name: str) -> bool:
        return name in self.vintages

    def lookup(self, name: str, codes, years: np.ndarray) -> np.ndarray:
        """Values of `name` for codes (None: unknown) at years (-1: unknown date)."""
        out = np.full(len(years), np.nan)
        codes = list(codes)
        # Oldest first: a later vintage usable at a date replaces an earlier one.
        for year, values in self.vintages.get(name, []):
            usable = years >= year + PUBLICATION_LAG_YEARS
            if not usable.any():
                continue
            found = np.array([values.get(c, np.nan) if c else np.nan for c in codes])
            out = np.where(usable & ~np.isnan(found), found, out)
        return out

    def vintage_years(self) -> dict[str, list[int]]:
        """The vintages of each value (for the sources' description)."""
        return {name: [year for year, _ in found] for name, found in self.vintages.items()}


class IrisShapes:
    """IRIS polygons (WGS84) in an STRtree: the IRIS code of points, None outside."""

    def __init__(self, codes, wkb):
        self.codes = np.asarray(codes, dtype=object)
        self.shapes = shapely.from_wkb(np.asarray(wkb, dtype=object))
        self.tree = shapely.STRtree(self.shapes)

    def locate(self, longitude, latitude) -> np.ndarray:
        """The code of the IRIS holding each point (the first one on a shared edge)."""
        lon = np.asarray(longitude, dtype="float64")
        lat = np.asarray(latitude, dtype="float64")
        out = np.full(len(lon), None, dtype=object)
        known = np.isfinite(lon) & np.isfinite(lat)
        if not known.any() or not len(self.codes):
            return out
        rows = np.flatnonzero(known)
        points = shapely.points(lon[rows], lat[rows])
        point_idx, shape_idx = self.tree.query(points, predicate="intersects")
        # Keep the first polygon per point (sorted by point, then polygon).
        order = np.lexsort((shape_idx, point_idx))
        point_idx, shape_idx = point_idx[order], shape_idx[order]
        first = np.ones(len(point_idx), dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        out[rows[point_idx[first]]] = self.codes[shape_idx[first]]
        return out
