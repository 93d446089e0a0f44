"""The out-of-time backtest: the time split and every evaluation variant.

Model B, trained on the sales before the test period, estimates the test sales with
model A's calibration by level and ranges (`model`), and without that calibration, with
ranges around its raw estimates (`model_uncalibrated`); the same model also on the flagged outliers
(`model_including_flagged`) and as deployed at the test start (`model_frozen_history`);
an ablation without the tranquillity features (`without_tranquillity`), one per
surroundings group in the model (`without_transport`, …) and the model with the groups it
leaves out (`with_surroundings`: `training.ablations`); two baselines,
LightGBM on attributes and coordinates (`attributes_lightgbm`) and the commune × type
median €/m² (`commune_median`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pandas as pd

from model import features as feats
from model.equity import EquityCalibration
from model.market import month_number
from model.pricing import confidence_levels
from model.ranges import PrecisionRanges, RangeTable
from training import evaluate as ev
from training.ablations import surroundings_variants, without_features
from training.calibration import Calibration, calibration_errors, estimate_from, fit_on, rows_of
from training.errors import PipelineError
from training.feature_partitions import FeatureMatrix
from training.metadata import jsonable
from training.precision_ranges import precision_ranges

if TYPE_CHECKING:  # types only: train imports this module
    from training.train import Fitting, Prepared

CALIBRATION_MONTHS = 6
TEST_COLUMNS = ["departement", "property_type", "price", "code_commune"]
NOTES = (
    "`model` : estimations calibrées selon leur niveau (médiane des erreurs hors période "
    "du modèle A par décile d'estimation, département × type) ; `model_uncalibrated` : "
    "les mêmes sans cette calibration, à comparer à `without_tranquillity`, qui ne l'a pas "
    "non plus. COD, PRD et PRB sans les ratios hors de [Q1 − 3·IQR, Q3 + 3·IQR] (IAAO).",
    "`model` et les autres colonnes excluent les ventes test signalées comme aberrantes "
    "par `immoval prepare` (is_outlier : prix symbolique, €/m² extrême, surface "
    "improbable) ; `model_including_flagged` les inclut, estimées par le même modèle.",
)


@dataclass(frozen=True)
class Split:
    """The out-of-time periods."""

    calibration_from: date
    test_from: date
    test_until: date


def make_split(data_until: date, test_from: date | None, test_months: int) -> Split:
    """Test = last `test_months` whole months (or from `test_from`); calibration just before."""
    if test_from is None:
        end = pd.Timestamp(data_until).to_period("M")
        test_from = (end - (test_months - 1)).to_timestamp().date()
    calibration = (pd.Timestamp(test_from).to_period("M") - CALIBRATION_MONTHS).to_timestamp()
    return Split(calibration.date(), test_from, data_until)


@dataclass(frozen=True)
class Periods:
    """Which sales each model trains on or is tested on (masks over the clean sales)."""

    train_a: np.ndarray
    calib: np.ndarray
    train_b: np.ndarray
    test: np.ndarray

    @classmethod
    def of(cls, sales: pd.DataFrame, split: Split) -> Periods:
        """The masks of `split`; `PipelineError` when one period has no sale."""
        days = sales["date"].to_numpy().astype("datetime64[D]")
        cal_from = np.datetime64(split.calibration_from, "D")
        test_from = np.datetime64(split.test_from, "D")
        periods = cls(days < cal_from, (days >= cal_from) & (days < test_from),
                      days < test_from, days >= test_from)  # fmt: skip
        train, calib, test = periods.train_a.sum(), periods.calib.sum(), periods.test.sum()
        if train == 0 or calib == 0 or test == 0:
            raise PipelineError(
                f"not enough data for the split (train {train}, calibration "
                f"{calib}, test {test} sales): check --test-from / --test-months"
            )
        return periods


@dataclass
class Backtest:
    """What the backtest measured, and the ranges fitted on its errors."""

    split: Split
    # Variant name → `evaluate.evaluate` of its test estimates, in the report's order.
    results: dict[str, dict]
    notes: tuple[str, ...]
    calibration_ranges: RangeTable
    final_ranges: RangeTable
    importance: pd.DataFrame
    # Model B's estimates (calibrated; `estimate_raw` before) and ranges of the clean test
    # sales, with their neighbours' `spread`.
    test_frame: pd.DataFrame
    # The calibration by level learnt on model A's errors (applied to the test) and on
    # model B's (the final model's).
    calibration_equity: EquityCalibration = field(default_factory=EquityCalibration)
    final_equity: EquityCalibration = field(default_factory=EquityCalibration)
    # Model B itself: `training.champion` scores it beside the champion on the newest sales.
    model_b: lgb.Booster | None = None
    # The final ranges of homes placed less exactly (interpolated, at their street or commune:
    # `training.precision_ranges`) and model B's errors on the test sales placed so.
    precision_ranges: PrecisionRanges | None = None
    placement: dict | None = None

    @property
    def test_period(self) -> list[str]:
        return [self.split.test_from.isoformat(), self.split.test_until.isoformat()]

    @property
    def calibration_period(self) -> list[str]:
        last = self.split.test_from - timedelta(days=1)
        return [self.split.calibration_from.isoformat(), last.isoformat()]

    @property
    def train_until(self) -> str:
        return (self.split.calibration_from - timedelta(days=1)).isoformat()

    def to_dict(self) -> dict:
        """The `evaluation` entry of metadata.json (JSON-ready)."""
        return {
            "test_period": self.test_period,
            "calibration_period": self.calibration_period,
            "train_until": self.train_until,
            "results": jsonable(self.results),
            "notes": list(self.notes),
            "calibration_quantiles": self.calibration_ranges.to_dict(),
            "calibration_equity": self.calibration_equity.to_dict(),
        } | ({"placement": jsonable(self.placement)} if self.placement else {})


def run_backtest(
    prep: Prepared, split: Split, fitting: Fitting, log: Callable[[str], None]
) -> Backtest:
    """Models A and B, the variants and the baselines on the test period."""
    periods = Periods.of(prep.sales, split)
    log(f"model A: {periods.train_a.sum()} sales before {split.calibration_from}")
    errors_a = calibration_errors(prep, fitting, periods.train_a, periods.calib)
    calibration, uncalibrated = fit_on(errors_a), fit_on(errors_a, by_level=False)
    log(f"model B: {periods.train_b.sum()} sales before {split.test_from}")
    train, test = periods.train_b, periods.test
    features = prep.features
    model_b = fitting.fit(rows_of(features.matrix, train), prep.target[train], features.names)
    test_frame = prep.sales.loc[test, TEST_COLUMNS].copy()
    raw = estimate_from(
        model_b.predict(rows_of(features.matrix, test)), features.level[test], _area(prep)[test]
    )
    spread = features.column("knn_rel_spread")[test]
    test_frame["estimate_raw"], test_frame["spread"] = raw, spread
    calibration.apply(test_frame, raw, spread)
    # The level serving would show: the range's width, the K_CLOSE-th neighbour's distance.
    levels = confidence_levels(
        test_frame["high"] / test_frame["low"], np.expm1(features.column("knn_dist_close")[test])
    )
    results = {"model": ev.evaluate(test_frame)}
    results["model"]["by_confidence"] = ev.by_confidence(test_frame, levels)
    results["model_uncalibrated"] = ev.evaluate(uncalibrated.apply(test_frame.copy(), raw, spread))
    flagged = flagged_test_frame(prep, split, model_b, calibration)
    if flagged is not None:
        log(f"model B on the {len(flagged)} flagged test sales too")
        results["model_including_flagged"] = ev.evaluate(
            pd.concat([test_frame, flagged], ignore_index=True)
        )
    log("model B as deployed: history and market index frozen at the test start")
    frozen = frozen_test_frame(prep, split, model_b, calibration, test_frame, periods.test)
    results["model_frozen_history"] = ev.evaluate(frozen)
    if prep.tranquillity:
        log("ablation: without tranquillity features")
        frame = without_tranquillity(prep, periods, fitting, test_frame)
        results["without_tranquillity"] = ev.evaluate(
            uncalibrated.apply(frame, frame["estimate"], spread)
        )
    for name, frame in surroundings_variants(prep, periods, fitting, test_frame, log):
        results[name] = ev.evaluate(uncalibrated.apply(frame, frame["estimate"], spread))
    log("baseline: LightGBM on attributes and coordinates")
    frame = attributes_baseline(prep, periods, fitting, test_frame)
    results["attributes_lightgbm"] = ev.evaluate(frame)
    log("baseline: commune × type median €/m²")
    frame["estimate"] = commune_median_estimate(prep.sales.loc[train], prep.sales.loc[test])
    results["commune_median"] = ev.evaluate(frame)
    importance = pd.DataFrame(
        {"feature": features.names, "gain": model_b.feature_importance("gain")}
    )
    # The final model's calibration: model B's out-of-time errors on the test period, the
    # latest behaviour of the market, hence the closest to what the final model will meet.
    final = fit_on(test_frame, "estimate_raw")
    by_precision = placement = None
    if prep.commune_centres is not None:
        by_precision, placement = precision_ranges(
            prep, test, model_b, prep.commune_centres, log, final.equity
        )
    return Backtest(
        split, results, NOTES, calibration.ranges, final.ranges, importance, test_frame,
        calibration.equity, final.equity, model_b, by_precision, placement,
    )  # fmt: skip


def _area(prep: Prepared) -> np.ndarray:
    return prep.sales["living_area_m2"].to_numpy(dtype="float64")


def _columns(names, wanted, matrix: np.ndarray) -> np.ndarray:
    """The columns `wanted` of a feature matrix whose columns are `names`."""
    names = list(names)
    return matrix[:, [names.index(n) for n in wanted]]


def flagged_test_frame(
    prep: Prepared, split: Split, booster: lgb.Booster, calibration: Calibration
) -> pd.DataFrame | None:
    """Estimates and ranges of the flagged test sales (features from the clean history)."""
    if prep.flagged is None:
        return None
    sales = prep.flagged.loc[prep.flagged["date"] >= pd.Timestamp(split.test_from)]
    sales = sales.reset_index(drop=True)
    if sales.empty:
        return None
    batch = prep.features_of(sales, prep.sales)
    frame = sales.loc[:, TEST_COLUMNS].copy()
    raw = estimate_from(booster.predict(batch.matrix), batch.level, sales["living_area_m2"])
    calibration.apply(frame, raw, batch.column("knn_rel_spread"))
    return frame.loc[np.isfinite(frame["estimate"].to_numpy())]


def frozen_features(prep: Prepared, split: Split) -> FeatureMatrix:
    """Test sales' features as a model deployed at the test start would see them: only
    sales before it, the market level held at its last month (months of lag included)."""
    sales = prep.sales
    before = (sales["date"] < pd.Timestamp(split.test_from)).to_numpy()
    market = prep.market.until(int(month_number(np.datetime64(split.test_from, "M"))) - 1)
    return prep.features_of(sales.loc[~before], sales.loc[before], market)


def frozen_test_frame(
    prep: Prepared,
    split: Split,
    booster: lgb.Booster,
    calibration: Calibration,
    test_frame: pd.DataFrame,
    test: np.ndarray,
) -> pd.DataFrame:
    """The test sales estimated by model B as deployed: history frozen at the test start."""
    frozen = frozen_features(prep, split)
    frame = test_frame.copy()
    raw = estimate_from(booster.predict(frozen.matrix), frozen.level, _area(prep)[test])
    return calibration.apply(frame, raw, frozen.column("knn_rel_spread"))


def without_tranquillity(
    prep: Prepared, periods: Periods, fitting: Fitting, test_frame: pd.DataFrame
) -> pd.DataFrame:
    """Test estimates of model B refitted without the `tq_*` features (no range yet)."""
    return without_features(prep, periods, fitting, test_frame, prep.tranquillity)


def attributes_baseline(
    prep: Prepared, periods: Periods, fitting: Fitting, test_frame: pd.DataFrame
) -> pd.DataFrame:
    """Test estimates of LightGBM on attributes and coordinates, on plain log €/m²."""
    names, matrix = prep.features.names, prep.features.matrix
    attrs = list(feats.ATTRIBUTE_FEATURES)
    train, test = periods.train_b, periods.test
    plain_target = np.log(prep.sales["price_per_m2"].to_numpy(dtype="float64"))
    plain = fitting.fit(_columns(names, attrs, rows_of(matrix, train)), plain_target[train], attrs)
    frame = test_frame.drop(columns=["low", "high"]).copy()
    frame["estimate"] = (
        np.exp(plain.predict(_columns(names, attrs, rows_of(matrix, test)))) * _area(prep)[test]
    )
    return frame


def commune_median_estimate(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Median €/m² of the commune × type before the test (else département × type) × surface."""
    by_commune = train.groupby(["code_commune", "property_type"])["price_per_m2"].median()
    by_dep = train.groupby(["departement", "property_type"])["price_per_m2"].median()
    keys = pd.MultiIndex.from_arrays([test["code_commune"], test["property_type"]])
    ppm2 = by_commune.reindex(keys).to_numpy()
    fallback = by_dep.reindex(
        pd.MultiIndex.from_arrays([test["departement"], test["property_type"]])
    ).to_numpy()
    ppm2 = np.where(np.isnan(ppm2), fallback, ppm2)
    return ppm2 * test["living_area_m2"].to_numpy(dtype="float64")
