"""The 80 % ranges of a training run, fitted with `model.ranges.RangeTable`.

Model A, trained before the calibration slice, gives the ranges the backtest applies to
the test sales; model B's out-of-time errors on the test period give the final model's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

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


def calibration_ranges(
    prep: Prepared, fitting: Fitting, train: np.ndarray, calib: np.ndarray
) -> RangeTable:
    """Model A fitted on the `train` sales: quantiles of its errors on the `calib` sales."""
    sales, features = prep.sales, prep.features
    model_a = fitting.fit(rows_of(features.matrix, train), prep.target[train], features.names)
    area = sales["living_area_m2"].to_numpy(dtype="float64")[calib]
    price = sales["price"].to_numpy(dtype="float64")[calib]
    estimate = estimate_from(
        model_a.predict(rows_of(features.matrix, calib)), features.level[calib], area
    )
    return RangeTable.fit(
        np.log(price / estimate),
        sales.loc[calib, "departement"].to_numpy(),
        sales.loc[calib, "property_type"].to_numpy(),
        features.column("knn_rel_spread")[calib],
    )


def final_ranges(test_frame: pd.DataFrame, spread: np.ndarray) -> RangeTable:
    """The final model's ranges: model B's out-of-time errors on the test period.

    The test period is the latest behaviour of the market, hence the closest to what the
    final model, trained on every sale, will meet.
    """
    return RangeTable.fit(
        np.log(test_frame["price"] / test_frame["estimate"]),
        test_frame["departement"].to_numpy(),
        test_frame["property_type"].to_numpy(),
        spread,
    )
