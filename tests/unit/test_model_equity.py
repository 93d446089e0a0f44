"""The estimate's calibration by its level, on synthetic out-of-time errors."""

from __future__ import annotations

import numpy as np
import pytest

from model.equity import EquityCalibration


def _errors(n: int, tilt: float, seed: int = 0):
    """Estimates of one cell over a decade of prices and their errors log(price / estimate):
    noise plus `tilt` × the log estimate's distance to the cell's middle (a model shrunk
    toward its market's middle has tilt > 0: cheap over-estimated, dear under-estimated)."""
    rng = np.random.default_rng(seed)
    log_estimate = rng.uniform(np.log(100_000), np.log(1_000_000), n)
    residual = tilt * (log_estimate - np.median(log_estimate)) + rng.normal(0, 0.15, n)
    return residual, np.exp(log_estimate)


def _median_error_by_decile(residual, estimate, calibration) -> np.ndarray:
    """Median error of the calibrated estimates per decile of the estimate."""
    shift = calibration.multipliers(["75"] * len(estimate), ["apartment"] * len(estimate), estimate)
    left = residual - shift
    deciles = np.array_split(np.argsort(estimate), 10)
    return np.array([np.median(left[d]) for d in deciles])


def test_a_bias_by_level_learnt_on_earlier_errors_is_removed_on_later_ones():
    residual, estimate = _errors(20_000, tilt=0.25)
    cells = (["75"] * len(estimate), ["apartment"] * len(estimate))
    calibration = EquityCalibration.fit(residual, estimate, *cells)
    later, later_estimate = _errors(20_000, tilt=0.25, seed=1)
    before = _median_error_by_decile(later, later_estimate, EquityCalibration())
    after = _median_error_by_decile(later, later_estimate, calibration)
    assert before[-1] - before[0] > 0.4  # the bias: ≈ 0.25 × 2.3 × 0.8 across the deciles
    assert np.abs(after).max() < 0.03
    # A higher raw estimate is never a lower calibrated one.
    grid = np.geomspace(20_000, 5_000_000, 2_000)
    calibrated = calibration.apply(["75"] * len(grid), ["apartment"] * len(grid), grid)
    assert np.all(np.diff(calibrated) >= 0)
    # Beyond the bins' centres the multiplier is held: the extreme bins' values.
    lows = calibration.multipliers(["75"] * 2, ["apartment"] * 2, [1_000.0, 10_000.0])
    assert lows[0] == lows[1] < 0


def test_no_bias_gives_nearly_the_identity():
    residual, estimate = _errors(20_000, tilt=0.0)
    calibration = EquityCalibration.fit(residual, estimate, ["59"] * 20_000, ["house"] * 20_000)
    shift = calibration.multipliers(["59"] * 20_000, ["house"] * 20_000, estimate)
    assert np.abs(shift).max() < 0.02


def test_a_monotone_estimate_even_when_the_errors_fall_steeply_with_the_level():
    # Errors falling faster than the log estimate rises: the calibrated estimate would
    # decrease with the raw one; isotonic regression flattens it instead.
    residual, estimate = _errors(10_000, tilt=-1.5)
    calibration = EquityCalibration.fit(residual, estimate, ["34"] * 10_000, ["house"] * 10_000)
    grid = np.geomspace(50_000, 2_000_000, 500)
    calibrated = calibration.apply(["34"] * 500, ["house"] * 500, grid)
    assert np.all(np.diff(calibrated) >= -1e-6 * calibrated[1:])


def test_cells_fall_back_to_their_type_and_unknown_cells_are_left_alone():
    dear, dear_estimate = _errors(6_000, tilt=0.3)
    flat, flat_estimate = _errors(6_000, tilt=0.0, seed=2)
    residual = np.r_[dear, flat[:150]]  # département 28: too few sales for a curve of its own
    estimate = np.r_[dear_estimate, flat_estimate[:150]]
    deps = ["75"] * 6_000 + ["28"] * 150
    calibration = EquityCalibration.fit(residual, estimate, deps, ["house"] * len(deps))
    assert set(calibration.by_cell) == {("75", "house")}
    assert set(calibration.by_type) == {"house"}
    cheap = [120_000.0]
    assert calibration.multipliers(["28"], ["house"], cheap)[0] < -0.1  # the type's curve
    assert calibration.multipliers(["28"], ["apartment"], cheap)[0] == 0.0  # no curve at all


def test_unknown_errors_and_estimates_are_left_out_and_empty_input_is_the_identity():
    residual, estimate = _errors(4_000, tilt=0.3)
    residual[:500], estimate[500:1000] = np.nan, np.nan
    estimate[1000:1100] = 0.0
    calibration = EquityCalibration.fit(residual, estimate, ["75"] * 4_000, ["house"] * 4_000)
    clean = EquityCalibration.fit(
        residual[1100:], estimate[1100:], ["75"] * 2_900, ["house"] * 2_900
    )
    assert calibration == clean
    empty = EquityCalibration.fit([], [], [], [])
    assert empty == EquityCalibration()
    assert empty.apply(["75"], ["house"], [250_000.0]).tolist() == [250_000.0]
    assert calibration.multipliers([], [], []).shape == (0,)
    # A missing estimate stays missing; it never becomes a number.
    out = calibration.apply(["75", "75"], ["house", "house"], [np.nan, 300_000.0])
    assert np.isnan(out[0]) and np.isfinite(out[1])


def test_the_bundle_form_reads_back_the_same_calibration():
    residual, estimate = _errors(5_000, tilt=0.2)
    deps = ["75"] * 2_500 + ["76"] * 2_500
    calibration = EquityCalibration.fit(residual, estimate, deps, ["apartment"] * 5_000)
    back = EquityCalibration.from_json(calibration.to_json())
    assert back == calibration
    grid = np.geomspace(50_000, 2_000_000, 50)
    assert back.apply(["76"] * 50, ["apartment"] * 50, grid) == pytest.approx(
        calibration.apply(["76"] * 50, ["apartment"] * 50, grid)
    )
