"""The 80 % range: split-conformal quantiles of log(price / estimate), fitted by training on
out-of-time errors and applied by serving.

Cells are département × property type × tier of neighbour dispersion, with coarser
fallbacks (département × type, type × tier, type, overall). The cell key of the bundle's
JSON is written and read here only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RANGE_LEVEL = 0.80
# Cells with fewer calibration sales than this borrow a coarser cell's quantiles.
MIN_CELL_CALIBRATION = 150

# (low, high, sales): log multipliers of the estimate and the calibration sales behind them.
Bounds = tuple[float, float, int]


def dispersion_tier(spread, thresholds) -> np.ndarray:
    """0, 1, 2: neighbours' prices agree, somewhat, little (unknown counts as little)."""
    spread = np.asarray(spread, dtype="float64")
    tier = np.searchsorted(np.asarray(thresholds, dtype="float64"), spread, side="right")
    return np.where(np.isfinite(spread), tier, len(thresholds)).astype("int64")


def _bounds(values: np.ndarray, level: float) -> Bounds:
    n = len(values)
    tail = (1 - level) / 2
    # Finite-sample correction of split conformal: slightly wider quantiles.
    lo_q = max(0.0, (np.floor(tail * (n + 1)) - 1) / max(n - 1, 1))
    hi_q = min(1.0, np.ceil((1 - tail) * (n + 1)) / n) if n else 1 - tail
    return (float(np.quantile(values, lo_q)), float(np.quantile(values, hi_q)), int(n))


def _fit_cells(frame: pd.DataFrame, by: list[str], level: float, minimum: int) -> dict:
    return {
        key if isinstance(key, tuple) else (key,): _bounds(part["r"].to_numpy(), level)
        for key, part in frame.groupby(by)
        if len(part) >= minimum
    }


def _key(parts: tuple) -> str:
    return "|".join(str(part) for part in parts)


@dataclass(frozen=True)
class RangeTable:
    """Calibrated log multipliers (low, high) per cell, most specific first."""

    level: float
    overall: Bounds
    by_type: dict[tuple, Bounds] = field(default_factory=dict)  # (type,)
    by_cell: dict[tuple, Bounds] = field(default_factory=dict)  # (dep, type)
    tier_thresholds: tuple[float, ...] = ()
    by_type_tier: dict[tuple, Bounds] = field(default_factory=dict)  # (type, tier)
    by_cell_tier: dict[tuple, Bounds] = field(default_factory=dict)  # (dep, type, tier)

    @classmethod
    def fit(
        cls, residual, departement, property_type, spread=None, level: float = RANGE_LEVEL
    ) -> RangeTable:
        """Quantiles of residuals (log price / estimate) per cell, with fallbacks."""
        frame = pd.DataFrame(
            {
                "r": np.asarray(residual, dtype="float64"),
                "d": np.asarray(departement, dtype=object).astype(str),
                "t": np.asarray(property_type, dtype=object).astype(str),
            }
        )
        tiers: dict = {}
        if spread is not None:
            spread = np.asarray(spread, dtype="float64")
            known = spread[np.isfinite(spread)]
            # No known spread at all: one tier (no thresholds), as serving then applies.
            qs = (1 / 3, 2 / 3) if len(known) else ()
            thresholds = tuple(float(np.quantile(known, q)) for q in qs)
            frame["k"] = dispersion_tier(spread, thresholds)
            tiers = {
                "tier_thresholds": thresholds,
                "by_type_tier": _fit_cells(frame, ["t", "k"], level, MIN_CELL_CALIBRATION),
                "by_cell_tier": _fit_cells(frame, ["d", "t", "k"], level, MIN_CELL_CALIBRATION),
            }
        return cls(
            level=level,
            overall=_bounds(frame["r"].to_numpy(), level),
            by_type=_fit_cells(frame, ["t"], level, 1),
            by_cell=_fit_cells(frame, ["d", "t"], level, MIN_CELL_CALIBRATION),
            **tiers,
        )

    def _cell(self, dep: str, kind: str, tier: int) -> Bounds | None:
        tiered = bool(self.tier_thresholds)
        return (
            (self.by_cell_tier.get((dep, kind, tier)) if tiered else None)
            or self.by_cell.get((dep, kind))
            or (self.by_type_tier.get((kind, tier)) if tiered else None)
            or self.by_type.get((kind,))
        )

    def multipliers(self, departement, property_type, spread) -> tuple[np.ndarray, np.ndarray]:
        """Log multipliers (low, high) of estimates: the most specific calibrated cell."""
        deps = np.asarray(departement, dtype=object).astype(str)
        types = np.asarray(property_type, dtype=object).astype(str)
        if self.tier_thresholds:
            tiers = dispersion_tier(spread, self.tier_thresholds)
        else:
            tiers = np.zeros(len(deps), "int64")
        low = np.full(len(deps), self.overall[0])
        high = np.full(len(deps), self.overall[1])
        for j in range(len(deps)):
            bounds = self._cell(deps[j], types[j], int(tiers[j]))
            if bounds:
                low[j], high[j] = bounds[0], bounds[1]
        return low, high

    def to_dict(self) -> dict:
        """The JSON form stored in a bundle's metadata."""

        def cells(table: dict) -> dict:
            return {_key(key): list(bounds) for key, bounds in table.items()}

        out = {
            "level": self.level,
            "overall": list(self.overall),
            "type": {key[0]: list(bounds) for key, bounds in self.by_type.items()},
            "cell": cells(self.by_cell),
        }
        if self.tier_thresholds or self.by_type_tier or self.by_cell_tier:
            out["tier_thresholds"] = list(self.tier_thresholds)
            out["tier_type"] = cells(self.by_type_tier)
            out["tier_cell"] = cells(self.by_cell_tier)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> RangeTable:
        """Read the JSON form written by `to_dict`."""

        def cells(table: dict, tiered: bool) -> dict:
            out = {}
            for text, bounds in table.items():
                parts = tuple(text.split("|"))
                key = parts[:-1] + (int(parts[-1]),) if tiered else parts
                out[key] = (float(bounds[0]), float(bounds[1]), int(bounds[2]))
            return out

        return cls(
            level=float(data["level"]),
            overall=tuple(data["overall"]),
            by_type={(kind,): tuple(bounds) for kind, bounds in data.get("type", {}).items()},
            by_cell=cells(data.get("cell", {}), tiered=False),
            tier_thresholds=tuple(data.get("tier_thresholds") or ()),
            by_type_tier=cells(data.get("tier_type", {}), tiered=True),
            by_cell_tier=cells(data.get("tier_cell", {}), tiered=True),
        )


# --- ranges by location precision ---------------------------------------------------------

# A bundle file (covered by its checksums): the range tables of homes placed less exactly.
PRECISION_RANGES_FILE = "ranges_by_precision.json"
# The precision classes of ranges and confidence: `housenumber` (the home's own point: given
# coordinates or a house number found), `interpolated` (a number the index lacks, placed
# between its neighbours: a new address), `street` (a point of the street) and
# `municipality` (the commune's centre, or a postcode's commune).
PRECISION_CLASSES = ("housenumber", "interpolated", "street", "municipality")
_CLASS_OF = {
    "interpolated": "interpolated",
    "street": "street",
    "municipality": "municipality",
    "postcode": "municipality",
}


def precision_class(precision: str | None) -> str:
    """The class of a geocoder's precision (None, coordinates, housenumber: `housenumber`)."""
    return _CLASS_OF.get(precision or "", "housenumber")


def precision_classes(precisions) -> np.ndarray:
    """`precision_class` of each of many precisions."""
    return np.array([precision_class(p) for p in precisions], dtype=object)


@dataclass(frozen=True)
class PrecisionRanges:
    """The range tables of the less exact classes (`interpolated`, `street`,
    `municipality`), fitted on out-of-time errors of homes placed that way
    (`training.precision_ranges`); the `housenumber` class uses the main table. A class
    without its table (an older bundle) falls back to the main one."""

    tables: dict[str, RangeTable] = field(default_factory=dict)

    def multipliers(
        self, main: RangeTable, departement, property_type, spread, classes
    ) -> tuple[np.ndarray, np.ndarray]:
        """Log multipliers (low, high): each home's class's table, else `main`'s."""
        low, high = main.multipliers(departement, property_type, spread)
        classes = np.asarray(classes, dtype=object)
        deps = np.asarray(departement, dtype=object)
        types = np.asarray(property_type, dtype=object)
        spread = np.asarray(spread, dtype="float64")
        for name, table in self.tables.items():
            rows = np.flatnonzero(classes == name)
            if len(rows):
                low[rows], high[rows] = table.multipliers(deps[rows], types[rows], spread[rows])
        return low, high

    def to_dict(self) -> dict:
        return {name: table.to_dict() for name, table in self.tables.items()}

    @classmethod
    def from_dict(cls, data: dict) -> PrecisionRanges:
        unknown = set(data) - set(PRECISION_CLASSES)
        if unknown:
            raise ValueError(f"unknown precision classes: {sorted(unknown)}")
        return cls({name: RangeTable.from_dict(table) for name, table in data.items()})
