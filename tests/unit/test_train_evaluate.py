"""The assessors' statistics as IAAO defines them, and the deciles of the estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.evaluate import evaluate, ratio_metrics


def test_cod_prd_and_prb_by_their_definitions():
    price = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    estimate = np.array([110.0, 200.0, 270.0, 400.0, 480.0])
    r = estimate / price  # 1.1, 1, 0.9, 1, 0.96
    out = ratio_metrics(estimate, price)
    assert out["median_ratio"] == pytest.approx(1.0)
    assert out["cod"] == pytest.approx(100 * np.mean(np.abs(r - 1.0)))
    assert out["prd"] == pytest.approx(r.mean() / (estimate.sum() / price.sum()))
    # PRB: slope of (r − median) / median on log2 of ½ estimate / median ratio + ½ price.
    x = np.log2(0.5 * estimate / 1.0 + 0.5 * price)
    y = r - 1.0
    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    assert out["prb"] == pytest.approx(slope)
    assert out["trimmed"] == 0 and out["prd_untrimmed"] == out["prd"]


def test_extreme_ratios_beyond_three_iqr_are_left_out_of_cod_prd_and_prb_only():
    rng = np.random.default_rng(0)
    price = np.exp(rng.uniform(np.log(1e5), np.log(1e6), 500))
    estimate = price * np.exp(rng.normal(0, 0.15, 500))
    clean = ratio_metrics(estimate, price)
    # A symbolic price: the estimate is 200 times the recorded price.
    with_symbolic = ratio_metrics(np.r_[estimate, 200_000.0], np.r_[price, 1_000.0])
    assert with_symbolic["trimmed"] == 1
    for name in ("cod", "prd", "prb"):
        assert with_symbolic[name] == pytest.approx(clean[name], rel=0.02, abs=0.002)
        assert abs(with_symbolic[f"{name}_untrimmed"] - clean[name]) > 0.05
    # MdAPE and PE10 keep every sale.
    assert with_symbolic["sales"] == 501


def test_a_regressive_estimate_shows_in_prd_and_prb_and_in_the_estimate_deciles():
    rng = np.random.default_rng(1)
    price = np.exp(rng.uniform(np.log(1e5), np.log(1e6), 5_000))
    # Shrunk toward the middle: cheap homes over-estimated, dear ones under-estimated.
    log_mid = np.log(price).mean()
    estimate = np.exp(log_mid + 0.8 * (np.log(price) - log_mid) + rng.normal(0, 0.05, 5_000))
    out = ratio_metrics(estimate, price)
    assert out["prd"] > 1.03 and out["prb"] < -0.05
    test = pd.DataFrame({"departement": "75", "property_type": "apartment", "price": price,
                         "estimate": np.r_[estimate[:-1], np.nan]})  # fmt: skip
    result = evaluate(test)
    by_estimate = result["by_estimate_decile"]
    assert [row["decile"] for row in by_estimate] == list(range(1, 11))
    assert sum(row["sales"] for row in by_estimate) == 4_999  # the unknown estimate has none
    ratios = [row["median_ratio"] for row in by_estimate]
    assert ratios[0] > 1.1 and ratios[-1] < 0.9 and ratios == sorted(ratios, reverse=True)
