"""80 % ranges: split-conformal quantiles per cell and dispersion tier hold ≈80 % of sales."""

from __future__ import annotations

import json

import numpy as np

from model.ranges import RangeTable, dispersion_tier


def _errors(n, seed):
    rng = np.random.default_rng(seed)
    deps = rng.choice(["34", "59"], n)
    types = rng.choice(["apartment", "house"], n)
    spread = rng.uniform(0.1, 0.6, n)
    # Errors grow with the neighbours' dispersion, and are wider for houses.
    scale = spread * np.where(types == "house", 0.5, 0.3)
    return rng.normal(0, scale), deps, types, spread


def test_coverage_holds_out_of_sample_in_every_cell_and_ranges_adapt():
    residual, deps, types, spread = _errors(40_000, 1)
    ranges = RangeTable.fit(residual, deps, types, spread)
    test, t_deps, t_types, t_spread = _errors(40_000, 2)
    low, high = ranges.multipliers(t_deps, t_types, t_spread)
    inside = (test >= low) & (test <= high)
    assert abs(inside.mean() - 0.80) < 0.01
    for dep in ("34", "59"):
        for kind in ("apartment", "house"):
            cell = (t_deps == dep) & (t_types == kind)
            assert abs(inside[cell].mean() - 0.80) < 0.02
    width = high - low
    tiers = dispersion_tier(t_spread, ranges.tier_thresholds)
    assert np.median(width[tiers == 0]) < np.median(width[tiers == 2])


def test_unknown_cells_fall_back_to_their_type_then_overall():
    residual, deps, types, spread = _errors(5_000, 3)
    ranges = RangeTable.fit(residual, deps, types, spread)
    low, high = ranges.multipliers(["13", "13"], ["house", "castle"], [np.nan, 0.3])
    assert low[0] < 0 < high[0] and low[1] < 0 < high[1]
    assert (low[1], high[1]) == tuple(ranges.overall[:2])
    assert dispersion_tier([np.nan, 0.0, 10.0], [0.2, 0.4]).tolist() == [2, 0, 2]


def test_a_range_table_survives_the_bundle_json():
    residual, deps, types, spread = _errors(5_000, 4)
    ranges = RangeTable.fit(residual, deps, types, spread)
    again = RangeTable.from_dict(json.loads(json.dumps(ranges.to_dict())))
    assert again == ranges
    probe = (["34", "59", "13"], ["house", "apartment", "house"], [0.1, np.nan, 0.5])
    assert np.array_equal(again.multipliers(*probe), ranges.multipliers(*probe))


def test_without_any_known_spread_the_table_has_one_tier_and_still_applies():
    residual, deps, types, _ = _errors(2_000, 5)
    ranges = RangeTable.fit(residual, deps, types, np.full(len(residual), np.nan))
    assert ranges.tier_thresholds == ()
    low, high = ranges.multipliers(["34"], ["house"], [np.nan])
    assert low[0] < 0 < high[0]
    assert RangeTable.from_dict(json.loads(json.dumps(ranges.to_dict()))) == ranges


def test_each_precision_class_gets_its_own_table_and_the_rest_the_main_one():
    from model.ranges import PrecisionRanges, precision_class, precision_classes

    residual, deps, types, spread = _errors(6_000, 5)
    main = RangeTable.fit(residual, deps, types, spread)
    commune = RangeTable.fit(3 * residual, deps, types, spread)  # errors 3× as wide
    ranges = PrecisionRanges({"municipality": commune})
    classes = precision_classes(["housenumber", "interpolated", None, "postcode", "street"])
    assert list(classes) == ["housenumber", "interpolated", "housenumber", "municipality", "street"]
    assert precision_class("coordinates") == "housenumber"
    n = len(classes)
    low, high = ranges.multipliers(main, ["34"] * n, ["house"] * n, [0.3] * n, classes)
    main_low, main_high = main.multipliers(["34"], ["house"], [0.3])
    assert (low[[0, 1, 2, 4]] == main_low[0]).all()  # street: no table, the main one
    assert high[3] - low[3] > 2.5 * (main_high[0] - main_low[0])
    again = PrecisionRanges.from_dict(json.loads(json.dumps(ranges.to_dict())))
    assert again.tables["municipality"] == commune
    try:
        PrecisionRanges.from_dict({"parcel": main.to_dict()})
    except ValueError as error:
        assert "parcel" in str(error)
    else:
        raise AssertionError("an unknown precision class was read")
