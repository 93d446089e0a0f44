"""The calibration of a training run: the estimate by its level (`model.equity`) and the
80 % ranges around the calibrated estimate (`model.ranges.RangeTable`).

Model A, trained before the calibration slice, gives what the backtest applies to the
test sales; model B's out-of-time errors on the test period give the final model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.equity import EquityCalibration
from model.ranges import RangeTable

if TYPE_CHECKING:  # types only: train imports this module
    from training.train import Fitting, Prepared


def estimate_from(prediction: np.ndarray, level: np.ndarray, area) -> np.ndarray:
    """Price from a predicted market-relative log €/m²."""
    return np.exp(level + prediction) * np.asarray(area, dtype="float64")


def rows_of(matrix: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`matrix[mask]`, without a copy when the rows are one block: sales are sorted by
    date, so every period is one (the features of a national run stay on disk)."""
    where = np.flatnonzero(mask)
    if len(where) and where[-1] - where[0] + 1 == len(where):
        return matrix[where[0] : where[-1] + 1]
    return matrix[mask]


def add_range(frame: pd.DataFrame, ranges: RangeTable, spread) -> pd.DataFrame:
    """`low` and `high` columns around `estimate`, as serving computes them."""
    lo, hi = ranges.multipliers(frame["departement"], frame["property_type"], spread)
    frame["low"], frame["high"] = frame["estimate"] * np.exp(lo), frame["estimate"] * np.exp(hi)
    return frame


@dataclass(frozen=True)
class Calibration:
    """What out-of-time errors teach: the estimate's calibration by level and the ranges
    around the calibrated estimate."""

    equity: EquityCalibration
    ranges: RangeTable

    @classmethod
    def fit(
        cls, price, estimate, departement, property_type, spread, by_level: bool = True
    ) -> Calibration:
        """From raw estimates of sales after their model's training and their prices
        (`by_level` False: the identity calibration, ranges around the raw estimates)."""
        residual = np.log(np.asarray(price, dtype="float64") / np.asarray(estimate, "float64"))
        equity = EquityCalibration()
        if by_level:
            equity = EquityCalibration.fit(residual, estimate, departement, property_type)
        shift = equity.multipliers(departement, property_type, estimate)
        ranges = RangeTable.fit(residual - shift, departement, property_type, spread)
        return cls(equity, ranges)

    def apply(self, frame: pd.DataFrame, raw, spread) -> pd.DataFrame:
        """`frame` with the calibrated `estimate` of the `raw` ones and its range, as
        serving computes them."""
        frame["estimate"] = self.equity.apply(frame["departement"], frame["property_type"], raw)
        return add_range(frame, self.ranges, spread)


def calibration_errors(
    prep: Prepared, fitting: Fitting, train: np.ndarray, calib: np.ndarray
) -> pd.DataFrame:
    """Model A fitted on the `train` sales: its raw estimates of the `calib` sales."""
    sales, features = prep.sales, prep.features
    model_a = fitting.fit(rows_of(features.matrix, train), prep.target[train], features.names)
    frame = sales.loc[calib, ["departement", "property_type", "price"]].copy()
    frame["estimate"] = estimate_from(
        model_a.predict(rows_of(features.matrix, calib)),
        features.level[calib],
        sales["living_area_m2"].to_numpy(dtype="float64")[calib],
    )
    frame["spread"] = features.column("knn_rel_spread")[calib]
    return frame


def fit_on(frame: pd.DataFrame, estimate: str = "estimate", by_level: bool = True) -> Calibration:
    """The calibration learnt on the out-of-time errors of `frame`'s `estimate` column
    (with its `price`, `departement`, `property_type` and neighbours' `spread`)."""
    return Calibration.fit(
        frame["price"],
        frame[estimate],
        frame["departement"].to_numpy(),
        frame["property_type"].to_numpy(),
        frame["spread"].to_numpy(),
        by_level=by_level,
    )
