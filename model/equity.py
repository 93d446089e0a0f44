"""Vertical equity: the point estimate calibrated by its own level, learnt by training on
out-of-time errors and applied by serving and by the evaluation alike.

A model that shrinks toward its market's middle over-estimates cheap homes and
under-estimates dear ones. Per département × property type (fallback: the type), the
out-of-time errors log(price / estimate) are binned by quantiles of the log estimate —
what serving knows, never the sale price, whose deciles mix in the sales' own noise — and
each bin's median error, made monotone, becomes a log multiplier interpolated between
the bins' centres (held flat beyond them). The calibrated estimate never decreases when
the raw one increases, and the multiplier only tilts the cell: each cell's median error
is taken out first, so the level stays the market index's job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

# The bundle file holding the calibration (checksummed with the others: model.integrity).
EQUITY_FILE = "equity.json"
BINS = 10
# A bin's median error is trusted from this many sales; cells with fewer than two such
# bins borrow their type's curve.
MIN_BIN_SALES = 200

# (log estimate at each bin's centre, log multiplier there), increasing centres.
Curve = tuple[tuple[float, ...], tuple[float, ...]]


def _curve(log_estimate: np.ndarray, residual: np.ndarray) -> Curve | None:
    """The cell's log multiplier by log estimate; None when too few sales for two bins."""
    bins = min(BINS, len(residual) // MIN_BIN_SALES)
    if bins < 2:
        return None
    from sklearn.isotonic import IsotonicRegression  # training only: serving never fits

    order = np.argsort(log_estimate, kind="stable")
    x, r = log_estimate[order], residual[order] - np.median(residual)
    parts = np.array_split(np.arange(len(x)), bins)
    centres = np.array([np.median(x[p]) for p in parts])
    errors = np.array([np.median(r[p]) for p in parts])
    # Monotone calibrated estimate: log estimate + multiplier non-decreasing over the bins.
    fitted = IsotonicRegression().fit_transform(
        centres, centres + errors, sample_weight=[len(p) for p in parts]
    )
    multipliers = fitted - centres
    keep = np.r_[True, np.diff(centres) > 0]  # ties of centres: np.interp needs them distinct
    return tuple(map(float, centres[keep])), tuple(map(float, multipliers[keep]))


def _known(*arrays: np.ndarray) -> np.ndarray:
    return np.logical_and.reduce([np.isfinite(a) for a in arrays])


@dataclass(frozen=True)
class EquityCalibration:
    """Log multipliers of the estimate by its level, per (département, type) and per type.
    Empty: the identity."""

    by_cell: dict[tuple[str, str], Curve] = field(default_factory=dict)
    by_type: dict[str, Curve] = field(default_factory=dict)

    @classmethod
    def fit(cls, residual, estimate, departement, property_type) -> EquityCalibration:
        """From out-of-time errors log(price / estimate) of estimates; rows with an unknown
        error or a non-positive estimate are left out."""
        residual = np.asarray(residual, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.log(np.asarray(estimate, dtype="float64"))
        deps = np.asarray(departement, dtype=object).astype(str)
        types = np.asarray(property_type, dtype=object).astype(str)
        ok = _known(residual, x)
        residual, x, deps, types = residual[ok], x[ok], deps[ok], types[ok]
        by_type, by_cell = {}, {}
        for kind in np.unique(types):
            of_type = types == kind
            curve = _curve(x[of_type], residual[of_type])
            if curve is not None:
                by_type[str(kind)] = curve
            for dep in np.unique(deps[of_type]):
                cell = of_type & (deps == dep)
                curve = _curve(x[cell], residual[cell])
                if curve is not None:
                    by_cell[(str(dep), str(kind))] = curve
        return cls(by_cell, by_type)

    def _curve_of(self, departement: str, kind: str) -> Curve | None:
        return self.by_cell.get((departement, kind)) or self.by_type.get(kind)

    def multipliers(self, departement, property_type, estimate) -> np.ndarray:
        """Log multiplier of each estimate (0 where no curve applies; NaN stays NaN)."""
        estimate = np.asarray(estimate, dtype="float64")
        deps = np.asarray(departement, dtype=object).astype(str)
        types = np.asarray(property_type, dtype=object).astype(str)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.log(estimate)
        out = np.zeros(len(estimate))
        out[~np.isfinite(x)] = np.nan
        cells = {(d, t) for d, t in zip(deps.tolist(), types.tolist(), strict=True)}
        for dep, kind in cells:
            curve = self._curve_of(dep, kind)
            if curve is None:
                continue
            rows = (deps == dep) & (types == kind) & np.isfinite(x)
            out[rows] = np.interp(x[rows], curve[0], curve[1])
        return out

    def apply(self, departement, property_type, estimate) -> np.ndarray:
        """The calibrated estimates (€)."""
        estimate = np.asarray(estimate, dtype="float64")
        return estimate * np.exp(self.multipliers(departement, property_type, estimate))

    def to_dict(self) -> dict:
        """The JSON form of the bundle's `EQUITY_FILE`."""

        def curves(table: dict) -> dict:
            return {"|".join(key) if isinstance(key, tuple) else key: [list(c[0]), list(c[1])]
                    for key, c in table.items()}  # fmt: skip

        return {"cell": curves(self.by_cell), "type": curves(self.by_type)}

    @classmethod
    def from_dict(cls, data: dict) -> EquityCalibration:
        """Read what `to_dict` wrote."""

        def curve(pair) -> Curve:
            return tuple(map(float, pair[0])), tuple(map(float, pair[1]))

        return cls(
            {tuple(key.split("|")): curve(c) for key, c in data.get("cell", {}).items()},
            {key: curve(c) for key, c in data.get("type", {}).items()},
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> EquityCalibration:
        return cls.from_dict(json.loads(text))
