"""The backtest's time split, its result object and its baseline, on small tables."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from model.equity import EquityCalibration
from model.ranges import RangeTable
from training.backtest import Backtest, Periods, Split, commune_median_estimate, make_split
from training.calibration import add_range, estimate_from, fit_on
from training.errors import PipelineError


def test_split_is_the_last_whole_months_with_six_months_of_calibration_before():
    assert make_split(date(2024, 12, 31), None, 12) == Split(
        date(2023, 7, 1), date(2024, 1, 1), date(2024, 12, 31)
    )
    assert make_split(date(2024, 12, 31), None, 3) == Split(
        date(2024, 4, 1), date(2024, 10, 1), date(2024, 12, 31)
    )
    assert make_split(date(2024, 6, 30), date(2024, 3, 15), 12).calibration_from == date(2023, 9, 1)


def _sales(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(list(days))})


def test_periods_are_masks_of_the_split():
    split = Split(date(2023, 7, 1), date(2024, 1, 1), date(2024, 12, 31))
    periods = Periods.of(_sales("2023-06-30", "2023-07-01", "2023-12-31", "2024-01-01"), split)
    assert periods.train_a.tolist() == [True, False, False, False]
    assert periods.calib.tolist() == [False, True, True, False]
    assert periods.train_b.tolist() == [True, True, True, False]
    assert periods.test.tolist() == [False, False, False, True]


def test_a_split_with_an_empty_period_says_which():
    split = Split(date(2023, 7, 1), date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(PipelineError, match=r"train 1, calibration 0, test 1 sales"):
        Periods.of(_sales("2023-01-05", "2024-02-01"), split)


def _ranges() -> RangeTable:
    residuals = np.linspace(-0.3, 0.3, 200)
    return RangeTable.fit(residuals, ["75"] * 200, ["apartment"] * 200)


def test_backtest_fields_and_its_metadata_entry():
    split = Split(date(2023, 7, 1), date(2024, 1, 1), date(2024, 12, 31))
    results = {"model": {"overall": {"mdape": np.float64(0.12), "cod": np.float64("nan")}}}
    backtest = Backtest(
        split=split,
        results=results,
        notes=("a note",),
        calibration_ranges=_ranges(),
        final_ranges=_ranges(),
        importance=pd.DataFrame({"feature": ["a"], "gain": [1.0]}),
        test_frame=pd.DataFrame(),
    )
    assert backtest.test_period == ["2024-01-01", "2024-12-31"]
    assert backtest.calibration_period == ["2023-07-01", "2023-12-31"]
    assert backtest.train_until == "2023-06-30"
    entry = backtest.to_dict()
    assert list(entry) == [
        "test_period",
        "calibration_period",
        "train_until",
        "results",
        "notes",
        "calibration_quantiles",
        "calibration_equity",
    ]
    overall = entry["results"]["model"]["overall"]
    assert overall == {"mdape": 0.12, "cod": None} and type(overall["mdape"]) is float
    assert entry["notes"] == ["a note"]
    # Model A's ranges in their JSON form, as the final ones under metadata["ranges"].
    assert entry["calibration_quantiles"] == _ranges().to_dict()
    assert entry["calibration_equity"] == {"cell": {}, "type": {}}  # none given: the identity


def test_commune_median_falls_back_to_the_departement():
    train = pd.DataFrame(
        {
            "code_commune": ["75101", "75101", "75102"],
            "departement": ["75", "75", "75"],
            "property_type": ["apartment"] * 3,
            "price_per_m2": [10_000.0, 12_000.0, 8_000.0],
        }
    )
    test = pd.DataFrame(
        {
            "code_commune": ["75101", "75199"],
            "departement": ["75", "75"],
            "property_type": ["apartment", "apartment"],
            "living_area_m2": np.array([10, 20], dtype="float32"),
        }
    )
    assert commune_median_estimate(train, test).tolist() == [110_000.0, 200_000.0]


def test_ranges_around_estimates_and_the_ranges_of_test_errors():
    assert estimate_from(np.array([0.0]), np.array([np.log(1000)]), [50])[0] == pytest.approx(
        50_000
    )
    frame = pd.DataFrame(
        {"departement": ["75"], "property_type": ["apartment"], "estimate": [100_000.0]}
    )
    add_range(frame, _ranges(), [np.nan])
    assert frame["low"][0] < 100_000 < frame["high"][0]
    test = pd.DataFrame(
        {
            "departement": ["75"] * 200,
            "property_type": ["apartment"] * 200,
            "price": np.exp(np.linspace(-0.3, 0.3, 200)) * 100_000,
            "estimate": [100_000.0] * 200,
            "spread": np.linspace(0.1, 0.5, 200),
        }
    )
    # Too few sales for a calibration by level: the identity, ranges of the raw errors.
    fitted = fit_on(test)
    assert fitted.equity == EquityCalibration()
    assert fitted.ranges.overall[0] == pytest.approx(-0.3 * 0.8, abs=0.01)
    assert fitted.ranges.overall[1] == pytest.approx(0.3 * 0.8, abs=0.01)


def test_the_ranges_are_fitted_around_the_calibrated_estimates():
    rng = np.random.default_rng(3)
    n = 6_000
    estimate = np.exp(rng.uniform(np.log(1e5), np.log(1e6), n))
    # Cheap homes over-estimated, dear ones under-estimated; ±5 % of noise around that.
    tilt = 0.3 * (np.log(estimate) - np.log(estimate).mean())
    price = estimate * np.exp(tilt + rng.uniform(-0.05, 0.05, n))
    frame = pd.DataFrame({"departement": "75", "property_type": "house", "price": price,
                          "estimate": estimate, "spread": np.nan})  # fmt: skip
    raw, calibrated = fit_on(frame, by_level=False), fit_on(frame)
    assert raw.equity == EquityCalibration()
    raw_width = raw.ranges.overall[1] - raw.ranges.overall[0]
    width = calibrated.ranges.overall[1] - calibrated.ranges.overall[0]
    assert width < raw_width / 3  # the tilt taken out, the noise is what is left
    applied = calibrated.apply(frame.copy(), frame["estimate"], frame["spread"])
    inside = (applied["low"] <= price) & (price <= applied["high"])
    assert 0.75 < inside.mean() < 0.85
