"""Tranquillity signals of a place: recorded incidents of its commune and cameras around it.

Serving side: loads the tables `immoval prepare` wrote to `reference/tranquillity/` and
answers with numpy and scikit-learn only (no geopandas). `Tranquillity.features` is the
one definition of the `tq_*` features, used on the whole sales table at prepare time and
on one point at serving; `Tranquillity.summary` turns the same lookups into a display.
Unknown is NaN (None in JSON), never 0.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.neighbors import BallTree

from model.comparables import EARTH_RADIUS_M
from model.geography import departement_of, statistics_commune

GROUPS = ("violence", "property", "damage", "burglary")
GROUP_LABELS = {
    "violence": "Atteintes aux personnes",
    "property": "Atteintes aux biens",
    "damage": "Destructions et dégradations volontaires",
    "burglary": "Cambriolages de logement",
}
GROUP_UNITS = {
    "violence": "pour 1000 habitants",
    "property": "pour 1000 habitants",
    "damage": "pour 1000 habitants",
    "burglary": "pour 1000 logements",
}
RADII_M = (100, 250, 500)
# Distances to the nearest camera are measured up to this radius; beyond, this value.
NEAREST_CAP_M = 1000.0
# Figures older than this (in years before the date) are not used at all.
MAX_AGE_YEARS = 5
TREND_YEARS = 5
CHUNK = 50_000
# Camera queries reach a little beyond the cap (radians): what they find is then kept by
# its distance in metres from `_haversine_m`, the one distance both paths use.
_QUERY_RADIUS = NEAREST_CAP_M / EARTH_RADIUS_M * (1 + 1e-6)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Shown with every summary (user-facing text, in French).
NOTES = (
    "Faits enregistrés par la police et la gendarmerie, comptés au lieu de l'infraction : "
    "ils dépendent des plaintes et de l'activité des services, et les centres animés où "
    "peu de gens habitent ont des taux élevés par habitant.",
    "Chiffres de l'année précédant la date ; si elle n'est pas publiée, la dernière année "
    "publiée (indiquée). Une valeur absente signifie « non publié », pas zéro.",
)
NOTE_NOT_COVERED = (
    "Caméras : aucune liste complète n'est publiée pour cette commune ; leur nombre est inconnu."
)

FEATURES = (
    *(f"tq_{group}_rate" for group in GROUPS),
    # Years between the date and the figures used: 1 normally, more when a later year
    # was not published (the flag of the fallback).
    *(f"tq_{group}_age" for group in GROUPS),
    *(f"tq_cameras_{radius}m" for radius in RADII_M),
    "tq_cameras_250m_undated",
    "tq_camera_nearest_m",
)
_FEATURE_COLUMNS = pd.Index(FEATURES)
_CAMERA_FEATURES = FEATURES[2 * len(GROUPS) :]  # in the order `_cameras_one` gives them

# "str" resolved once: resolving the name costs more than building a one-code Series.
_STR = pd.api.types.pandas_dtype("str")


def _to_radians(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    return np.radians(np.column_stack([latitude, longitude]))


def _haversine_m(lat1, lon1, cos_lat1, lat2, lon2, cos_lat2):
    """Great-circle distance in metres between points in radians (scikit-learn's formula);
    the cosines of the latitudes come precomputed: once per point and per camera."""
    sin_lat = np.sin(0.5 * (lat1 - lat2))
    sin_lon = np.sin(0.5 * (lon1 - lon2))
    a = sin_lat * sin_lat + cos_lat1 * cos_lat2 * sin_lon * sin_lon
    return 2 * np.arcsin(np.sqrt(a)) * EARTH_RADIUS_M


def _longitude_reach(latitude: float, distance: float) -> float:
    """Largest longitude difference (radians) of the points within `distance` of a latitude."""
    farthest = abs(latitude) + distance
    if farthest >= math.pi / 2:
        return math.pi
    # On the sphere sin(d/2)² ≥ cos φ1 · cos φ2 · sin(Δλ/2)², and cos φ2 ≥ cos(|φ1| + d).
    ratio = math.sin(distance / 2) / math.sqrt(math.cos(latitude) * math.cos(farthest))
    return math.pi if ratio >= 1 else 2 * math.asin(ratio) * 1.001


def _day_and_year(dates) -> tuple[int | None, int]:
    """Day (since 1970, None when unknown) and year of the one date of `dates`."""
    value = next(iter(dates))
    # Plain dates skip pandas (tens of µs); anything else goes the way `features` reads many.
    if value is not pd.NaT and isinstance(value, date) and 1678 < value.year < 2262:
        if getattr(value, "tzinfo", None) is None:
            return value.toordinal() - _EPOCH_ORDINAL, value.year
    if not isinstance(value, np.datetime64):
        value = np.asarray(pd.to_datetime(np.asarray(dates)), dtype="datetime64[D]")[0]
    day = value.astype("datetime64[D]")
    if np.isnat(day):
        return None, -1
    return int(day.astype("int64")), int(day.astype("datetime64[Y]").astype("int64")) + 1970


class _CameraGrid:
    """Cameras in bands of latitude sorted by longitude: the few near one point, without a tree."""

    def __init__(self, latitude, longitude, cos_latitude, days, undated, height: float):
        band = np.floor(latitude / height).astype("int64")
        order = np.lexsort((longitude, band))
        self.height = height
        self.columns = tuple(
            np.ascontiguousarray(c[order])
            for c in (latitude, longitude, cos_latitude, days, undated)
        )
        band, sorted_longitude = band[order], self.columns[1]
        starts = np.flatnonzero(np.r_[True, band[1:] != band[:-1]])
        stops = np.r_[starts[1:], len(band)]
        # Python lists: `bisect` on them is several times faster than np.searchsorted for one value.
        self._bands = {
            int(band[start]): (int(start), sorted_longitude[start:stop].tolist())
            for start, stop in zip(starts, stops, strict=True)
        }

    def near(self, latitude: float, longitude: float, distance: float) -> tuple[np.ndarray, ...]:
        """Latitude, longitude, its cosine, day in service and undated flag of the cameras that
        may lie within `distance` (radians) of the point: a superset, to filter by distance."""
        reach = distance * 1.001
        width = _longitude_reach(latitude, reach)
        if width >= math.pi:
            spans = [(-math.inf, math.inf)]
        else:
            spans = [(longitude - width, longitude + width)]
            if longitude - width < -math.pi:  # across the antimeridian
                spans.append((longitude - width + 2 * math.pi, math.inf))
            if longitude + width > math.pi:
                spans.append((-math.inf, longitude + width - 2 * math.pi))
        pieces = []
        first = math.floor((latitude - reach) / self.height)
        for band in range(first, math.floor((latitude + reach) / self.height) + 1):
            entry = self._bands.get(band)
            if entry is None:
                continue
            start, longitudes = entry
            for low, high in spans:
                i, j = bisect_left(longitudes, low), bisect_right(longitudes, high)
                if i < j:
                    pieces.append((start + i, start + j))
        if len(pieces) == 1:
            start, stop = pieces[0]
            return tuple(c[start:stop] for c in self.columns)
        index = (
            np.concatenate([np.arange(a, b) for a, b in pieces]) if pieces else np.empty(0, "int64")
        )
        return tuple(c[index] for c in self.columns)


@dataclass
class _YearTable:
    """Values per (area code, year) as a dense matrix, for vectorised look-ups."""

    codes: pd.Index
    first_year: int
    values: dict[str, np.ndarray]

    def __post_init__(self):
        self._row_of = {code: i for i, code in enumerate(self.codes)}

    def row(self, code: str) -> int:
        """Row of one code, -1 when absent."""
        return self._row_of.get(code, -1)

    def rows(self, codes: Sequence[str]) -> np.ndarray:
        """Row of each code, -1 when absent."""
        row_of = self._row_of
        return np.fromiter((row_of.get(c, -1) for c in codes), dtype="int64", count=len(codes))

    @classmethod
    def build(cls, frame: pd.DataFrame, columns: Sequence[str]) -> _YearTable:
        codes = pd.Index(sorted(frame["code"].astype(str).unique()))
        if frame.empty:
            return cls(codes, 0, {c: np.empty((0, 0), dtype="float64") for c in columns})
        first, last = int(frame["year"].min()), int(frame["year"].max())
        rows = codes.get_indexer(frame["code"].astype(str))
        cols = frame["year"].astype(int).to_numpy() - first
        values = {}
        for column in columns:
            matrix = np.full((len(codes), last - first + 1), np.nan)
            matrix[rows, cols] = frame[column].astype("float64").to_numpy()
            values[column] = matrix
        return cls(codes, first, values)

    def at(self, column: str, rows: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Values at (row, year); NaN where the row or the year is absent."""
        matrix = self.values[column]
        out = np.full(len(rows), np.nan)
        cols = years - self.first_year
        ok = (rows >= 0) & (cols >= 0) & (cols < matrix.shape[1])
        out[ok] = matrix[rows[ok], cols[ok]]
        return out

    def latest(
        self, column: str, rows: np.ndarray, years: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Value at `years`, else at the latest earlier year (≤ MAX_AGE_YEARS), and its year."""
        value = np.full(len(rows), np.nan)
        used = np.full(len(rows), -1, dtype="int64")
        for back in range(MAX_AGE_YEARS):
            todo = np.isnan(value)
            if not todo.any():
                break
            found = self.at(column, rows, years - back)
            fill = todo & ~np.isnan(found)
            value[fill] = found[fill]
            used[fill] = years[fill] - back
        return value, used

    def value(self, column: str, row: int, year: int) -> float:
        """`at` for one row and year."""
        matrix = self.values[column]
        col = year - self.first_year
        if row < 0 or not 0 <= col < matrix.shape[1]:
            return math.nan
        return float(matrix[row, col])

    def latest_one(self, column: str, row: int, year: int) -> tuple[float, int]:
        """`latest` for one row and year (-1 as the year when none)."""
        for back in range(MAX_AGE_YEARS):
            found = self.value(column, row, year - back)
            if found == found:  # not NaN
                return found, year - back
        return math.nan, -1


class Tranquillity:
    """Incident rates and camera coverage, loaded from `reference/tranquillity/`."""

    def __init__(
        self,
        communes: pd.DataFrame,
        departements: pd.DataFrame,
        cameras: pd.DataFrame,
        coverage: pd.DataFrame,
        sources: dict | None = None,
    ):
        rate_columns = [f"{g}_rate" for g in GROUPS]
        percentile_columns = [f"{g}_percentile" for g in GROUPS]
        self._communes = _YearTable.build(communes, rate_columns + percentile_columns)
        self._departements = _YearTable.build(departements, rate_columns)
        self._covered = frozenset(coverage["code"].astype(str))
        self.sources = sources or {}
        # Dates in service as days since 1970; NaT (unknown) counted as in service, flagged.
        days = pd.to_datetime(cameras["in_service"]).to_numpy().astype("datetime64[D]")
        self._camera_undated = np.isnat(days)
        self._camera_days = np.where(self._camera_undated, 0, days.astype("int64"))
        coordinates = _to_radians(
            cameras["longitude"].to_numpy(float), cameras["latitude"].to_numpy(float)
        )
        self._camera_lat = np.ascontiguousarray(coordinates[:, 0])
        self._camera_lon = np.ascontiguousarray(coordinates[:, 1])
        self._camera_cos_lat = np.cos(self._camera_lat)
        # A tree answers many points at once; the grid answers one point without its overhead.
        self._tree = self._grid = None
        if len(cameras):
            self._tree = BallTree(coordinates, metric="haversine")
            self._grid = _CameraGrid(
                self._camera_lat,
                self._camera_lon,
                self._camera_cos_lat,
                self._camera_days,
                self._camera_undated,
                _QUERY_RADIUS,
            )
        self.camera_count = len(cameras)
        # The commune part of a summary depends on (code, year) only: computed once per pair.
        self._incidents = lru_cache(maxsize=4096)(self._incidents_of)

    @classmethod
    def load(cls, reference_dir: str | Path) -> Tranquillity:
        """Load from `reference/` or `reference/tranquillity/`."""
        folder = Path(reference_dir)
        if (folder / "tranquillity").is_dir():
            folder = folder / "tranquillity"
        sources_path = folder / "sources.json"
        sources = (
            json.loads(sources_path.read_text(encoding="utf-8")) if sources_path.exists() else {}
        )
        return cls(
            pd.read_parquet(folder / "communes.parquet"),
            pd.read_parquet(folder / "departements.parquet"),
            pd.read_parquet(folder / "cameras.parquet"),
            pd.read_parquet(folder / "coverage.parquet"),
            sources,
        )

    def features(self, longitude, latitude, dates, code_commune_stats) -> pd.DataFrame:
        """The `tq_*` features (float32, NaN = unknown) of points at dates, one row per point."""
        try:
            single = len(longitude) == len(latitude) == len(dates) == len(code_commune_stats) == 1
        except TypeError:
            single = False
        if single:  # serving: one point, without the per-call overhead of the vectorised path
            values = self._features_one(
                np.asarray(longitude, dtype="float64")[0],
                np.asarray(latitude, dtype="float64")[0],
                *_day_and_year(dates),
                statistics_commune(next(iter(code_commune_stats))),
            )
            return pd.DataFrame(values[np.newaxis, :], columns=_FEATURE_COLUMNS)
        longitude = np.asarray(longitude, dtype="float64")
        latitude = np.asarray(latitude, dtype="float64")
        dates = np.asarray(pd.to_datetime(np.asarray(dates)), dtype="datetime64[D]")
        codes = [statistics_commune(c) for c in code_commune_stats]
        lengths = {len(longitude), len(latitude), len(dates), len(codes)}
        if len(lengths) != 1:
            raise ValueError(f"longitude, latitude, dates and codes differ in length: {lengths}")
        columns = self._rates(codes, dates)
        columns |= {name: np.full(len(longitude), np.nan) for name in _CAMERA_FEATURES}
        # Chunks bound the memory of the radius queries on a whole sales table.
        for start in range(0, len(longitude), CHUNK):
            part = slice(start, start + CHUNK)
            for name, values in self._cameras(
                longitude[part], latitude[part], dates[part], codes[part]
            ).items():
                columns[name][part] = values
        return pd.DataFrame({name: columns[name].astype("float32") for name in FEATURES})

    def _rates(self, codes: list[str], dates: np.ndarray) -> dict[str, np.ndarray]:
        rows = self._communes.rows(codes)
        known_date = ~np.isnat(dates)
        # No look-ahead: a sale in year Y uses the figures of Y − 1 at the latest.
        years = np.where(known_date, dates.astype("datetime64[Y]").astype("int64") + 1970 - 1, -1)
        rows = np.where(known_date, rows, -1)
        out = {}
        for group in GROUPS:
            value, used = self._communes.latest(f"{group}_rate", rows, years)
            out[f"tq_{group}_rate"] = value
            out[f"tq_{group}_age"] = np.where(used >= 0, years + 1 - used, np.nan)
        return out

    def _cameras(self, longitude, latitude, dates, codes) -> dict[str, np.ndarray]:
        n = len(longitude)
        usable = (
            np.isfinite(longitude)
            & np.isfinite(latitude)
            & ~np.isnat(dates)
            & np.fromiter((c in self._covered for c in codes), dtype=bool, count=n)
        )
        counts = {r: np.full(n, np.nan) for r in RADII_M}
        undated = np.full(n, np.nan)
        nearest = np.full(n, np.nan)
        where = np.flatnonzero(usable)
        if len(where):
            for r in RADII_M:
                counts[r][where] = 0.0
            undated[where] = 0.0
            nearest[where] = NEAREST_CAP_M
        if len(where) and self._tree is not None:
            points = _to_radians(longitude[where], latitude[where])
            found = self._tree.query_radius(points, r=_QUERY_RADIUS)
            lengths = np.fromiter((len(f) for f in found), dtype="int64", count=len(found))
            if lengths.sum():
                camera = np.concatenate(found)
                owner = np.repeat(np.arange(len(where)), lengths)
                metres = _haversine_m(
                    points[owner, 0],
                    points[owner, 1],
                    np.cos(points[:, 0])[owner],
                    self._camera_lat[camera],
                    self._camera_lon[camera],
                    self._camera_cos_lat[camera],
                )
                day = dates[where].astype("int64")[owner]
                is_undated = self._camera_undated[camera]
                # A camera put in service after the date did not exist then.
                in_service = (metres <= NEAREST_CAP_M) & (
                    is_undated | (self._camera_days[camera] <= day)
                )
                owner, metres, is_undated = (
                    owner[in_service],
                    metres[in_service],
                    is_undated[in_service],
                )
                for r in RADII_M:
                    counts[r][where] = np.bincount(owner, weights=metres <= r, minlength=len(where))
                undated[where] = np.bincount(
                    owner, weights=is_undated & (metres <= 250), minlength=len(where)
                )
                closest = np.full(len(where), NEAREST_CAP_M)
                np.minimum.at(closest, owner, metres)
                nearest[where] = closest
        out = {f"tq_cameras_{r}m": counts[r] for r in RADII_M}
        out["tq_cameras_250m_undated"] = undated
        out["tq_camera_nearest_m"] = nearest
        return out

    def _features_one(
        self, longitude, latitude, day: int | None, year: int, code: str
    ) -> np.ndarray:
        """`features` of one point (day since 1970, None when unknown): a float32 vector."""
        row = self._communes.row(code) if day is not None else -1
        rates, ages = [], []
        for group in GROUPS:
            # No look-ahead: the figures of the year before, at the latest.
            value, used = self._communes.latest_one(f"{group}_rate", row, year - 1)
            rates.append(value)
            ages.append(year - used if used >= 0 else math.nan)
        cameras = self._cameras_one(longitude, latitude, day, code)
        return np.array(rates + ages + cameras, dtype="float32")

    def _cameras_one(self, longitude, latitude, day: int | None, code: str) -> list[float]:
        """`_cameras` of one point: counts within RADII_M, undated within 250 m, nearest."""
        if (
            day is None
            or not (math.isfinite(longitude) and math.isfinite(latitude))
            or code not in self._covered
        ):
            return [math.nan] * (len(RADII_M) + 2)
        if self._grid is None:
            return [0.0] * (len(RADII_M) + 1) + [NEAREST_CAP_M]
        lat, lon = np.radians(latitude), np.radians(longitude)
        cam_lat, cam_lon, cam_cos_lat, cam_day, cam_undated = self._grid.near(
            float(lat), float(lon), _QUERY_RADIUS
        )
        metres = _haversine_m(lat, lon, np.cos(lat), cam_lat, cam_lon, cam_cos_lat)
        in_service = (metres <= NEAREST_CAP_M) & (cam_undated | (cam_day <= day))
        metres, undated = metres[in_service], cam_undated[in_service]
        counts = [float(np.count_nonzero(metres <= r)) for r in RADII_M]
        counts.append(float(np.count_nonzero(undated & (metres <= 250))))
        nearest = min(NEAREST_CAP_M, float(metres.min())) if len(metres) else NEAREST_CAP_M
        return counts + [nearest]

    def summary(self, longitude, latitude, code_commune_stats, on_date: date | None = None) -> dict:
        """What to show about one place at a date (default today): JSON-serialisable."""
        on_date = on_date or date.today()
        code = statistics_commune(code_commune_stats)
        day, year = _day_and_year([on_date])
        point = self._cameras_one(
            np.asarray([longitude], dtype="float64")[0],
            np.asarray([latitude], dtype="float64")[0],
            day,
            code,
        )
        # As float32, like the features: the page shows what the model saw.
        row = dict(zip(_CAMERA_FEATURES, np.array(point, dtype="float32").tolist(), strict=True))
        # Copies: the cached entries must not change when a caller edits its answer.
        incidents = {
            group: {**entry, "history": dict(entry["history"])}
            for group, entry in self._incidents(code, day is not None, year).items()
        }
        covered = row["tq_cameras_250m"] == row["tq_cameras_250m"]  # not NaN
        cameras = {
            "covered": bool(code in self._covered),
            "within_100m": _count(row["tq_cameras_100m"]),
            "within_250m": _count(row["tq_cameras_250m"]),
            "within_500m": _count(row["tq_cameras_500m"]),
            "undated_within_250m": _count(row["tq_cameras_250m_undated"]),
            "nearest_m": _number(row["tq_camera_nearest_m"], 0) if covered else None,
            "nearest_capped_at_m": NEAREST_CAP_M,
        }
        return {
            "code_commune_stats": code,
            "departement": departement_of(code),
            "on_date": on_date.isoformat(),
            "incidents": incidents,
            "cameras": cameras,
            "sources": self.sources.get("sources", []),
            "notes": list(NOTES) + ([] if cameras["covered"] else [NOTE_NOT_COVERED]),
        }

    def _incidents_of(self, code: str, dated: bool, year: int) -> dict:
        """The incidents part of a summary: per group, the figures `features` uses and context."""
        commune_row = self._communes.row(code) if dated else -1
        dep_row = self._departements.row(departement_of(code))
        france_row = self._departements.row("FR")
        groups = {}
        for group in GROUPS:
            column = f"{group}_rate"
            value, used = self._communes.latest_one(column, commune_row, year - 1)
            # The rate as the features give it (float32), so the page shows what the model saw.
            rate = _number(np.float32(value))
            entry = {"label": GROUP_LABELS[group], "unit": GROUP_UNITS[group], "rate": None}
            entry.update(year=None, percentile=None, departement_rate=None)
            entry.update(ratio_to_departement=None, france_rate=None, trend_5y_pct=None, history={})
            if rate is not None:
                dep_rate = _number(self._departements.value(column, dep_row, used))
                france = _number(self._departements.value(column, france_row, used))
                percentile = self._communes.value(f"{group}_percentile", commune_row, used)
                history = {
                    y: _number(self._communes.value(column, commune_row, y))
                    for y in range(used - TREND_YEARS, used + 1)
                }
                history = {y: round(v, 2) for y, v in history.items() if v is not None}
                before = history.get(used - TREND_YEARS)
                entry.update(
                    rate=round(rate, 2),
                    year=used,
                    percentile=_number(percentile, 1),
                    departement_rate=_number(dep_rate, 2),
                    ratio_to_departement=_number(rate / dep_rate, 2) if dep_rate else None,
                    france_rate=_number(france, 2),
                    trend_5y_pct=_number(100 * (rate / before - 1), 1) if before else None,
                    history={str(y): v for y, v in history.items()},
                )
            groups[group] = entry
        return groups


def _number(value, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _count(value) -> int | None:
    return None if value is None or not math.isfinite(float(value)) else int(value)
