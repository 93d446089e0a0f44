"""The market index looks only backwards and holds its last level past the data's end."""

from __future__ import annotations

import numpy as np
import pytest

from model.market import MIN_SALES, MarketIndex, month_label, month_number


def _market(seed=0, months=24, per_month=150):
    rng = np.random.default_rng(seed)
    dates, prices = [], []
    for m in range(months):
        day = np.datetime64("2022-01-01") + np.timedelta64(31 * m, "D")
        dates += [day] * per_month
        # A market rising 1 % a month, with noise.
        prices += list(3000 * 1.01**m * np.exp(rng.normal(0, 0.2, per_month)))
    dates = np.array(dates, dtype="datetime64[D]")
    return dates, np.array(prices)


def fit(dates, prices):
    n = len(dates)
    return MarketIndex.fit(["34"] * n, ["house"] * n, dates, prices)


def test_level_before_a_month_ignores_that_month_and_later():
    dates, prices = _market()
    full = fit(dates, prices)
    cutoff = np.datetime64("2023-03-01")
    early = dates < cutoff
    truncated = fit(dates[early], prices[early])
    months = np.arange(month_number(np.datetime64("2022-02-01")), month_number(cutoff) + 1)
    n = len(months)
    a = full.level_before(["34"] * n, ["house"] * n, months)
    b = truncated.level_before(["34"] * n, ["house"] * n, months)
    np.testing.assert_allclose(a, b)


def test_level_follows_the_trend_and_is_held_after_the_end():
    dates, prices = _market()
    index = fit(dates, prices)
    last = index.last_month
    late = index.level_before(["34"] * 3, ["house"] * 3, np.array([last + 1, last + 6, last + 30]))
    assert late[0] == late[1] == late[2]
    early = index.level_before(["34"], ["house"], np.array([index.first_month + 3]))[0]
    # 20 months of +1 %: the level moved up by roughly log(1.01) a month.
    assert 0.1 < late[0] - early < 0.3
    level, period = index.level_one("34", "house", np.datetime64("2030-01-01").astype(object))
    assert level == pytest.approx(late[0])
    assert period == month_label(last)


def test_no_level_before_the_first_month_nor_for_unknown_markets():
    dates, prices = _market()
    index = fit(dates, prices)
    first = index.first_month
    out = index.level_before(["34", "59"], ["house", "house"], np.array([first, first + 5]))
    assert np.isnan(out).all()


def test_thin_months_widen_the_window():
    dates, prices = _market(per_month=10)
    index = fit(dates, prices)
    counts = index.counts[("34", "house")]
    # 10 sales a month: the window widens from 3 to 10 months to reach MIN_SALES (100).
    assert MIN_SALES == 100
    assert counts[2] == 30 and counts[-1] == MIN_SALES


def test_round_trip_through_a_frame():
    dates, prices = _market()
    index = fit(dates, prices)
    again = MarketIndex.from_frame(index.to_frame())
    months = np.arange(index.first_month + 1, index.last_month + 3)
    n = len(months)
    np.testing.assert_array_equal(
        index.level_before(["34"] * n, ["house"] * n, months),
        again.level_before(["34"] * n, ["house"] * n, months),
    )


def test_until_equals_fitting_on_the_earlier_data_only():
    dates, prices = _market()
    index = fit(dates, prices)
    cutoff = np.datetime64("2023-01-01")
    early = dates < cutoff
    refit = fit(dates[early], prices[early])
    cut = index.until(refit.last_month)
    assert cut.last_month == refit.last_month
    np.testing.assert_array_equal(cut.levels[("34", "house")], refit.levels[("34", "house")])
