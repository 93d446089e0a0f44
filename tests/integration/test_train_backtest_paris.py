"""The backtest on real Paris sales: the `Backtest` of a run is what its bundle records."""

from __future__ import annotations

import numpy as np
import pytest

from model import registry
from model.equity import EQUITY_FILE, EquityCalibration
from model.features import SURROUNDINGS_GROUPS
from model.ranges import RangeTable
from model.settings import layout
from training import settings, train
from training.backtest import Backtest, make_split, run_backtest
from training.surroundings import add_features as add_surroundings


@pytest.fixture(scope="module")
def prep(model_home):
    paths = layout(model_home)
    # As `immoval train` reads them: every surroundings group added, the model using its own.
    sales = add_surroundings(train.read_sales(paths), paths.reference, SURROUNDINGS_GROUPS)
    groups = settings.surroundings_groups()
    return train.prepare_features(sales, train.read_communes(paths), surroundings=groups)


@pytest.fixture(scope="module")
def backtest(prep) -> Backtest:
    # The fixture's run: 60 trees, the default seed and the environment's threads.
    fitting = train.Fitting(60, train.SEED, settings.train_threads())
    split = make_split(prep.sales["date"].max().date(), None, 12)
    return run_backtest(prep, split, fitting, log=lambda message: None)


def test_every_variant_in_the_reports_order(backtest):
    assert list(backtest.results) == [
        "model",
        "model_uncalibrated",
        "model_including_flagged",
        "model_frozen_history",
        "without_tranquillity",
        "with_surroundings",
        "attributes_lightgbm",
        "commune_median",
    ]
    for name, result in backtest.results.items():
        extra = {"by_confidence"} if name == "model" else set()
        assert set(result) == {
            "overall", "by_departement_type", "by_price_decile", "by_estimate_decile", *extra
        }  # fmt: skip
    # Baselines have no range; the model and its variants have A's.
    assert backtest.results["commune_median"]["overall"]["coverage"] is None
    assert 0.5 < backtest.results["model_frozen_history"]["overall"]["coverage"] < 1.0


def test_test_frame_ranges_and_importance(backtest, prep):
    frame = backtest.test_frame
    assert len(frame) == backtest.results["model"]["overall"]["sales"]
    assert (frame["low"] < frame["estimate"]).all() and (frame["estimate"] < frame["high"]).all()
    assert isinstance(backtest.calibration_ranges, RangeTable)
    assert isinstance(backtest.final_ranges, RangeTable)
    assert backtest.final_ranges != backtest.calibration_ranges
    assert backtest.importance["feature"].tolist() == list(prep.features.names)
    assert np.isfinite(backtest.importance["gain"]).all()


def test_the_bundle_records_this_backtest(backtest, model_home):
    models = layout(model_home).models
    meta = registry.read_metadata(models, registry.read_champion(models))
    recorded = meta["evaluation"]
    entry = backtest.to_dict()
    assert list(recorded) == list(entry)
    assert recorded["test_period"] == backtest.test_period == ["2024-01-01", "2024-12-31"]
    assert recorded["results"] == entry["results"]
    assert meta["ranges"]["cell"] == backtest.final_ranges.to_dict()["cell"]
    stored = (models / registry.read_champion(models) / EQUITY_FILE).read_text(encoding="utf-8")
    assert EquityCalibration.from_json(stored) == backtest.final_equity


def test_the_model_is_the_uncalibrated_one_calibrated_by_level(backtest):
    frame = backtest.test_frame
    calibrated = backtest.calibration_equity.apply(
        frame["departement"], frame["property_type"], frame["estimate_raw"]
    )
    np.testing.assert_array_equal(frame["estimate"].to_numpy(), calibrated)
    assert not np.allclose(frame["estimate"], frame["estimate_raw"])  # learnt on model A
    raw = backtest.results["model_uncalibrated"]["overall"]
    assert raw["sales"] == backtest.results["model"]["overall"]["sales"]
    # Both carry model A's 80 % ranges, fitted around their own estimates.
    assert 0.7 < raw["coverage"] < 0.9
    assert 0.7 < backtest.results["model"]["overall"]["coverage"] < 0.9
    by_estimate = backtest.results["model"]["by_estimate_decile"]
    assert [row["decile"] for row in by_estimate] == list(range(1, 11))
    assert sum(row["sales"] for row in by_estimate) == raw["sales"]


def test_each_confidence_level_is_measured_and_the_levels_are_ordered(backtest):
    levels = {row["confidence"]: row for row in backtest.results["model"]["by_confidence"]}
    assert set(levels) <= {"high", "medium", "low"} and len(levels) >= 2
    assert (
        sum(row["sales"] for row in levels.values())
        == (backtest.results["model"]["overall"]["sales"])
    )
    # A higher level is a narrower range: its median error is no larger than a lower one's.
    ordered = [levels[k]["mdape"] for k in ("high", "medium", "low") if k in levels]
    assert ordered == sorted(ordered)
