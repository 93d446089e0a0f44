"""Place cameras listed at street crossings ("rue A, rue B") with the BAN address points.

A crossing is where two streets' address points come closest: the midpoint of the
closest pair, if they are near enough to meet. Used for the Paris decree's annexes,
which give addresses and dates but no coordinates.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

# Two streets whose closest address points are farther apart than this do not meet.
MEET_WITHIN_M = 80.0
# How far the midpoint of two corner addresses may be from the crossing itself.
CROSSING_PRECISION_M = 25.0
_STOPWORDS = {"de", "du", "des", "la", "le", "les", "l", "d", "a", "au", "aux", "et"}
_ABBREVIATIONS = {
    "bd": "boulevard",
    "bld": "boulevard",
    "av": "avenue",
    "pl": "place",
    "st": "saint",
}


def street_key(name: str) -> str:
    """A street name reduced for matching: no accents, case, articles or punctuation."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    words = re.split(r"[^a-z0-9]+", text)
    words = [_ABBREVIATIONS.get(w, w) for w in words if w and w not in _STOPWORDS]
    return " ".join(words)


class StreetIndex:
    """Address points per street (Lambert-93 metres), from a BAN export."""

    def __init__(self, ban: pd.DataFrame):
        keys = ban["nom_voie"].map(street_key)
        xy = ban[["x", "y"]].astype(float).to_numpy()
        lonlat = ban[["lon", "lat"]].astype(float).to_numpy()
        self._points = {
            key: (xy[idx], lonlat[idx]) for key, idx in keys.groupby(keys).indices.items() if key
        }
        self._keys = list(self._points)
        self._found: dict[str, str | None] = {}

    @classmethod
    def read(cls, path: str | Path) -> StreetIndex:
        """From a BAN CSV export (`;`, with `x`, `y` in Lambert-93 and `lon`, `lat`)."""
        columns = ["nom_voie", "x", "y", "lon", "lat"]
        return cls(pd.read_csv(path, sep=";", usecols=columns, dtype={"nom_voie": str}))

    def find(self, name: str) -> str | None:
        """The key of the street of that name, allowing small spelling differences."""
        key = street_key(name)
        if key in self._points:
            return key
        if key not in self._found:  # fuzzy matching is slow; lists repeat street names
            close = difflib.get_close_matches(key, self._keys, n=1, cutoff=0.88)
            self._found[key] = close[0] if close else None
        return self._found[key]

    def crossing(self, first: str, second: str) -> tuple[float, float, str | None]:
        """(longitude, latitude, None) where two streets meet, or (nan, nan, reason)."""
        a, b = self.find(first), self.find(second)
        if a is None or b is None:
            return np.nan, np.nan, f"street not found: {first if a is None else second}"
        (xy_a, ll_a), (xy_b, ll_b) = self._points[a], self._points[b]
        distance, nearest = KDTree(xy_b).query(xy_a, k=1)
        i = int(np.argmin(distance[:, 0]))
        if distance[i, 0] > MEET_WITHIN_M:
            return np.nan, np.nan, f"streets do not meet within {MEET_WITHIN_M:.0f} m"
        lon, lat = (ll_a[i] + ll_b[nearest[i, 0]]) / 2
        return float(lon), float(lat), None


def locate_crossings(rows: pd.DataFrame, streets: StreetIndex) -> pd.DataFrame:
    """Longitude, latitude and reason (when not placed) for rows of a decree list."""
    columns = [c for c in rows.columns if c.lower().startswith("rue croisement")]
    precision = next(c for c in rows.columns if c.lower().startswith("précision"))
    out = []
    for _, row in rows.iterrows():
        names = [str(row[c]).strip() for c in columns if str(row[c]).strip()]
        if row[precision].strip() != "croisement":
            out.append((np.nan, np.nan, f"not a crossing ({row[precision].strip() or 'empty'})"))
        elif len(names) < 2:
            out.append((np.nan, np.nan, "crossing with fewer than two streets"))
        else:
            out.append(streets.crossing(names[0], names[1]))
    return pd.DataFrame(out, columns=["longitude", "latitude", "reason"], index=rows.index)
