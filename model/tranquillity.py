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
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.neighbors import BallTree

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
EARTH_RADIUS_M = 6_371_008.8
CHUNK = 50_000

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

# Paris, Lyon and Marseille: statistics are published for the whole commune.
_ARRONDISSEMENT = re.compile(r"(751(?:0[1-9]|1[0-9]|20))|(6938[1-9])|(132(?:0[1-9]|1[0-6]))")
_WHOLE_COMMUNE = (None, "75056", "69123", "13055")


def _statistics_code(code) -> str:
    if not isinstance(code, str):
        return "" if code is None or code != code else str(code)
    code = code.strip()
    match = _ARRONDISSEMENT.fullmatch(code)
    return _WHOLE_COMMUNE[match.lastindex] if match else code


def commune_for_statistics(codes: pd.Series | Sequence[str]) -> pd.Series:
    """The commune code used by commune-level statistics (arrondissements → 75056/69123/13055)."""
    index = codes.index if isinstance(codes, pd.Series) else None
    return pd.Series([_statistics_code(c) for c in codes], index=index, dtype="str")


def departement_of(codes: pd.Series) -> pd.Series:
    """The département of commune codes (three characters overseas)."""
    codes = pd.Series(codes, dtype="string")
    return codes.str[:2].mask(codes.str.startswith("97"), codes.str[:3])


def _to_radians(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    return np.radians(np.column_stack([latitude, longitude]))


@dataclass
class _YearTable:
    """Values per (area code, year) as a dense matrix, for vectorised look-ups."""

    codes: pd.Index
    first_year: int
    values: dict[str, np.ndarray]

    def __post_init__(self):
        self._row_of = {code: i for i, code in enumerate(self.codes)}

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
        self._tree = BallTree(coordinates, metric="haversine") if len(cameras) else None
        self.camera_count = len(cameras)

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
        longitude = np.asarray(longitude, dtype="float64")
        latitude = np.asarray(latitude, dtype="float64")
        dates = np.asarray(pd.to_datetime(np.asarray(dates)), dtype="datetime64[D]")
        codes = [_statistics_code(c) for c in code_commune_stats]
        lengths = {len(longitude), len(latitude), len(dates), len(codes)}
        if len(lengths) != 1:
            raise ValueError(f"longitude, latitude, dates and codes differ in length: {lengths}")
        columns = self._rates(codes, dates)
        # Chunks bound the memory of the radius queries on a whole sales table.
        for start in range(0, max(len(longitude), 1), CHUNK):
            part = slice(start, start + CHUNK)
            for name, values in self._cameras(
                longitude[part], latitude[part], dates[part], codes[part]
            ).items():
                columns.setdefault(name, np.full(len(longitude), np.nan))[part] = values
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
            found, distances = self._tree.query_radius(
                points, r=NEAREST_CAP_M / EARTH_RADIUS_M, return_distance=True
            )
            lengths = np.fromiter((len(f) for f in found), dtype="int64", count=len(found))
            if lengths.sum():
                camera = np.concatenate(found)
                metres = np.concatenate(distances) * EARTH_RADIUS_M
                owner = np.repeat(np.arange(len(where)), lengths)
                day = dates[where].astype("int64")[owner]
                is_undated = self._camera_undated[camera]
                # A camera put in service after the date did not exist then.
                in_service = is_undated | (self._camera_days[camera] <= day)
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

    def summary(self, longitude, latitude, code_commune_stats, on_date: date | None = None) -> dict:
        """What to show about one place at a date (default today): JSON-serialisable."""
        on_date = on_date or date.today()
        code = _statistics_code(code_commune_stats)
        row = self.features([longitude], [latitude], [on_date], [code]).iloc[0]
        commune_row = self._communes.rows([code])
        departement = str(departement_of(pd.Series([code])).iloc[0])
        dep_row = self._departements.rows([departement])
        france_row = self._departements.rows(["FR"])
        groups = {}
        for group in GROUPS:
            rate = _number(row[f"tq_{group}_rate"])
            age = _number(row[f"tq_{group}_age"])
            entry = {"label": GROUP_LABELS[group], "unit": GROUP_UNITS[group], "rate": None}
            entry.update(year=None, percentile=None, departement_rate=None)
            entry.update(ratio_to_departement=None, france_rate=None, trend_5y_pct=None, history={})
            if rate is not None:
                year = np.array([on_date.year - int(age)])
                dep_rate = _number(self._departements.at(f"{group}_rate", dep_row, year)[0])
                france = _number(self._departements.at(f"{group}_rate", france_row, year)[0])
                percentile = self._communes.at(f"{group}_percentile", commune_row, year)[0]
                history = {
                    int(y): _number(
                        self._communes.at(f"{group}_rate", commune_row, np.array([y]))[0]
                    )
                    for y in range(int(year[0]) - TREND_YEARS, int(year[0]) + 1)
                }
                history = {y: round(v, 2) for y, v in history.items() if v is not None}
                before = history.get(int(year[0]) - TREND_YEARS)
                entry.update(
                    rate=round(rate, 2),
                    year=int(year[0]),
                    percentile=_number(percentile, 1),
                    departement_rate=_number(dep_rate, 2),
                    ratio_to_departement=_number(rate / dep_rate, 2) if dep_rate else None,
                    france_rate=_number(france, 2),
                    trend_5y_pct=_number(100 * (rate / before - 1), 1) if before else None,
                    history={str(y): v for y, v in history.items()},
                )
            groups[group] = entry
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
            "departement": departement,
            "on_date": on_date.isoformat(),
            "incidents": groups,
            "cameras": cameras,
            "sources": self.sources.get("sources", []),
            "notes": list(NOTES) + ([] if cameras["covered"] else [NOTE_NOT_COVERED]),
        }


def _number(value, digits: int | None = None) -> float | None:
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits) if digits is not None else float(value)


def _count(value) -> int | None:
    return None if value is None or not math.isfinite(float(value)) else int(value)
