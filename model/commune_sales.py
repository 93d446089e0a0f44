"""A commune's sales in the served bundle, read-only: its latest sales and the spread of
its €/m² by property type. The rows of each commune are indexed once per estimator.
"""

from __future__ import annotations

import threading
import unicodedata
import weakref
from dataclasses import dataclass
from datetime import date

import numpy as np

from model.comparables import PROPERTY_TYPES
from model.mapped import TextColumn
from model.sales import Comparable
from model.sales_queries import recent_since

# The spread is that of the sales of the last SPREAD_MONTHS of the data.
SPREAD_MONTHS = 12


@dataclass(frozen=True)
class Spread:
    """The €/m² of a commune's recent sales of one type: quartiles and count."""

    property_type: str
    sales: int
    q1: float | None
    median: float | None
    q3: float | None
    since: date


class CommuneIndex:
    """Rows of the bundle's sales per commune code, latest first."""

    def __init__(self, codes, dates: np.ndarray):
        names, keys = _commune_keys(codes)
        # By commune, then latest first (lexsort: the last key sorts first); sales without
        # a commune code (key -1) are left out.
        order = np.lexsort((-dates.astype("int64"), keys))
        order = order[keys[order] >= 0]
        self._rows = order
        found, self._starts = np.unique(keys[order], return_index=True)
        self._codes = names[found]
        self._ends = np.append(self._starts[1:], len(order))

    def rows(self, code: str) -> np.ndarray:
        """The commune's rows, latest sale first (empty when it has none)."""
        k = int(np.searchsorted(self._codes, str(code)))
        if k >= len(self._codes) or self._codes[k] != str(code):
            return np.array([], dtype="int64")
        return self._rows[self._starts[k] : self._ends[k]]

    @property
    def codes(self) -> np.ndarray:
        return self._codes


def _commune_keys(codes) -> tuple[np.ndarray, np.ndarray]:
    """Commune codes in sorted order (str) and each sale's position among them (-1: none).

    A memory-mapped column (`model.mapped.TextColumn`) is read through its dictionary codes:
    no worker copies the codes of every sale as Python strings."""
    if isinstance(codes, TextColumn):
        values, raw = codes.factorized()
    else:
        values, raw = np.unique(np.asarray(codes, dtype=object).astype(str), return_inverse=True)
    order = np.argsort(values, kind="stable")
    rank = np.empty(len(order), dtype="int64")
    rank[order] = np.arange(len(order))
    keys = np.where(raw >= 0, rank[np.maximum(raw, 0)], -1) if len(rank) else raw.astype("int64")
    return values[order], keys


_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def commune_index(estimator) -> CommuneIndex:
    """The index of an estimator's sales, built on first use (a swapped bundle gets its own)."""
    with _LOCK:
        index = _INDEXES.get(estimator)
        if index is None:
            index = CommuneIndex(estimator.sales.code_commune, estimator.sales.date)
            _INDEXES[estimator] = index
        return index


def has_sales(estimator, code: str) -> bool:
    """Whether the bundle holds sales of this commune."""
    return len(commune_index(estimator).rows(code)) > 0


def latest_sales(estimator, code: str, limit: int) -> list[Comparable]:
    """The commune's latest `limit` sales (distance 0: they are not about a point)."""
    rows = commune_index(estimator).rows(code)[:limit]
    return estimator.sales.comparables_at(rows, np.zeros(len(rows)))


def spread(estimator, code: str) -> list[Spread]:
    """Per property type, the quartiles of €/m² of the commune's sales of the last
    SPREAD_MONTHS months of the data."""
    sales = estimator.sales
    since = recent_since(estimator.data_until, SPREAD_MONTHS)
    rows = commune_index(estimator).rows(code)
    rows = rows[sales.date[rows] > np.datetime64(since, "D")]
    out = []
    for kind in PROPERTY_TYPES:
        values = sales.price_per_m2[rows[sales.property_type[rows] == kind]]
        values = values[np.isfinite(values)]
        if len(values):
            q1, median, q3 = (round(float(v), 0) for v in np.quantile(values, [0.25, 0.5, 0.75]))
        else:
            q1 = median = q3 = None
        out.append(Spread(kind, int(len(values)), q1, median, q3, since))
    return out


def centre(estimator, code: str) -> tuple[float, float] | None:
    """The median position of the commune's sales (latitude, longitude), None if none."""
    rows = commune_index(estimator).rows(code)
    lat, lon = estimator.sales.latitude[rows], estimator.sales.longitude[rows]
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return None
    return float(np.median(lat[ok])), float(np.median(lon[ok]))


def _folded(text: str) -> str:
    """Lower case, without accents, hyphens or apostrophes: "Saint-Étienne" ~ "saint etienne"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())


def find_communes(estimator, query: str, limit: int = 10) -> list[tuple[str, str]]:
    """Communes with sales whose name (or INSEE code) matches `query`: (code, name), names
    starting with it first."""
    wanted = _folded(query or "")
    if not wanted:
        return []
    names = estimator.places.commune_names
    starts, contains = [], []
    for code in commune_index(estimator).codes.tolist():
        name = names.get(code, code)
        folded = _folded(name)
        if folded.startswith(wanted) or code == wanted:
            starts.append((code, name))
        elif wanted in folded:
            contains.append((code, name))
    return (
        sorted(starts, key=lambda c: c[1])[:limit]
        + sorted(contains, key=lambda c: c[1])[: max(0, limit - len(starts))]
    )
