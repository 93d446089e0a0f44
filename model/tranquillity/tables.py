"""The reference tables of `reference/tranquillity/`: incident rates per area and year.

`prepare` writes them (see `training.tranquillity.build`); serving reads them here with
pandas only. Rates per commune × year (with their percentile among communes) and per
département × year (code `FR` for France) become dense matrices for vectorised look-ups.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Incident groups, in the order of the features and of every display.
GROUPS = ("violence", "property", "damage", "burglary")
# Figures older than this (in years before the date) are not used at all.
MAX_AGE_YEARS = 5
# France's comparison rates sit in the département table under this code.
FRANCE = "FR"

RATE_COLUMNS = tuple(f"{g}_rate" for g in GROUPS)
PERCENTILE_COLUMNS = tuple(f"{g}_percentile" for g in GROUPS)


@dataclass
class YearTable:
    """Values per (area code, year) as a dense matrix, for vectorised look-ups."""

    codes: pd.Index
    first_year: int
    values: dict[str, np.ndarray]

    def __post_init__(self):
        self._row_of = {code: i for i, code in enumerate(self.codes)}
        self._last_known: dict[str, np.ndarray] = {}

    def row(self, code: str) -> int:
        """Row of one code, -1 when absent."""
        return self._row_of.get(code, -1)

    def rows(self, codes: Sequence[str]) -> np.ndarray:
        """Row of each code, -1 when absent."""
        row_of = self._row_of
        return np.fromiter((row_of.get(c, -1) for c in codes), dtype="int64", count=len(codes))

    @classmethod
    def build(cls, frame: pd.DataFrame, columns: Sequence[str]) -> YearTable:
        """A table of `columns` from rows of `code`, `year` and those columns."""
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
        matrix = self.values[column]
        rows, years = np.asarray(rows, dtype="int64"), np.asarray(years, dtype="int64")
        value = np.full(len(rows), np.nan)
        used = np.full(len(rows), -1, dtype="int64")
        if not matrix.size:
            return value, used
        cols = years - self.first_year
        # A year after the table's last reads the last (its age is checked below).
        at = (np.where(rows >= 0, rows, 0), np.clip(cols, 0, matrix.shape[1] - 1))
        known = self._last_known_column(column)[at]
        ok = (rows >= 0) & (cols >= 0) & (known >= 0) & (cols - known < MAX_AGE_YEARS)
        value[ok] = matrix[at[0][ok], known[ok]]
        used[ok] = known[ok] + self.first_year
        return value, used

    def _last_known_column(self, column: str) -> np.ndarray:
        """For each (row, year) cell, the column of the row's latest known value at or
        before it (-1: none): one look-up per point instead of a pass per year back."""
        last = self._last_known.get(column)
        if last is None:
            matrix = self.values[column]
            positions = np.where(np.isnan(matrix), -1, np.arange(matrix.shape[1]))
            last = np.maximum.accumulate(positions, axis=1).astype("int32")
            self._last_known[column] = last  # two threads may both build it: the same
        return last

    def value(self, column: str, row: int, year: int) -> float:
        """`at` for one row and year."""
        matrix = self.values[column]
        col = year - self.first_year
        if row < 0 or not 0 <= col < matrix.shape[1]:
            return math.nan
        return float(matrix[row, col])

    def latest_one(self, column: str, row: int, year: int) -> tuple[float, int]:
        """`latest` for one row and year (-1 as the year when none), from the same cells."""
        matrix = self.values[column]
        col = year - self.first_year
        if row < 0 or col < 0 or not matrix.size:
            return math.nan, -1
        known = int(self._last_known_column(column)[row, min(col, matrix.shape[1] - 1)])
        if known < 0 or col - known >= MAX_AGE_YEARS:
            return math.nan, -1
        return float(matrix[row, known]), known + self.first_year


@dataclass
class IncidentTables:
    """Rates (and percentiles) of the communes, rates of the départements and of France."""

    communes: YearTable
    departements: YearTable

    @classmethod
    def build(cls, communes: pd.DataFrame, departements: pd.DataFrame) -> IncidentTables:
        """From the frames of `communes.parquet` and `departements.parquet`."""
        return cls(
            YearTable.build(communes, RATE_COLUMNS + PERCENTILE_COLUMNS),
            YearTable.build(departements, RATE_COLUMNS),
        )


@dataclass
class Reference:
    """The frames of `reference/tranquillity/`, as written by `prepare`."""

    communes: pd.DataFrame
    departements: pd.DataFrame
    cameras: pd.DataFrame
    coverage: pd.DataFrame
    sources: dict = field(default_factory=dict)


def tranquillity_folder(reference_dir: str | Path) -> Path:
    """`reference/tranquillity/` given it or its parent `reference/`."""
    folder = Path(reference_dir)
    return folder / "tranquillity" if (folder / "tranquillity").is_dir() else folder


def read_reference(reference_dir: str | Path) -> Reference:
    """Read the tables from `reference/` or `reference/tranquillity/`."""
    folder = tranquillity_folder(reference_dir)
    sources_path = folder / "sources.json"
    sources = json.loads(sources_path.read_text(encoding="utf-8")) if sources_path.exists() else {}
    return Reference(
        pd.read_parquet(folder / "communes.parquet"),
        pd.read_parquet(folder / "departements.parquet"),
        pd.read_parquet(folder / "cameras.parquet"),
        pd.read_parquet(folder / "coverage.parquet"),
        sources,
    )
