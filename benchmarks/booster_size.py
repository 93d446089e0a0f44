"""Booster size against accuracy and the cost of an explanation, out of time.

    flock /work/cpu.lock .venv/bin/python benchmarks/booster_size.py --home $IMMOVAL_HOME

Fits model B (every sale before the test year, as the backtest does) once per variant of
rounds × leaves × learning rate, scores the test year's sales with it (raw estimates,
before the calibration by level: the same for every variant) and times LightGBM's exact
SHAP values on 400 test homes, one home per call, one thread: LightGBM's `pred_contrib`
and the model's SHAP tables (`model.tree_shap`, what serving uses; their build time and
size beside). The default booster (`training.train.PARAMS`, `N_ESTIMATORS`) is the first
row, and again with another seed: the spread between the two is the noise a difference
must beat.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.out_of_time import prepared_periods  # noqa: E402
from model.tree_shap import TreeShap  # noqa: E402
from training import evaluate as ev  # noqa: E402
from training import settings, train  # noqa: E402
from training.calibration import estimate_from, rows_of  # noqa: E402

# (label, rounds, parameters over the default ones, seed over the default one)
VARIANTS = (
    ("default", None, {}, None),
    ("default, another seed", None, {}, 7),
    ("150 rounds, rate 0.2", 150, {"learning_rate": 0.2}, None),
    ("200 rounds, rate 0.15", 200, {"learning_rate": 0.15}, None),
    ("150 rounds", 150, {}, None),
    ("31 leaves", None, {"num_leaves": 31}, None),
    ("600 rounds, rate 0.05", 600, {"learning_rate": 0.05}, None),
    ("600 rounds", 600, {}, None),
    ("127 leaves, depth 12", None, {"num_leaves": 127, "max_depth": 12}, None),
)
SHAP_HOMES = 400


def per_home_ms(shap_values, matrix: np.ndarray) -> float:
    """Median CPU milliseconds of `shap_values` called on one home (row) at a time."""
    times = []
    for row in range(len(matrix)):
        started = time.process_time()
        shap_values(matrix[row : row + 1])
        times.append(time.process_time() - started)
    return 1000 * statistics.median(times)


def shap_ms(booster, matrix: np.ndarray) -> float:
    """LightGBM's own: `pred_contrib`, one thread."""
    return per_home_ms(lambda row: booster.predict(row, pred_contrib=True, num_threads=1), matrix)


def tables_figures(booster, matrix: np.ndarray) -> dict[str, str]:
    """The SHAP tables of `booster`: median CPU ms of one home, build seconds, size."""
    started = time.process_time()
    tables = TreeShap.of(booster)
    build_s = time.process_time() - started
    if tables is None:
        return {"tables ms/home": "-", "build s": "-", "tables MB": "-"}
    size = sum(getattr(tables, name).nbytes for name in tables.store().arrays)
    return {
        "tables ms/home": f"{per_home_ms(tables.contributions, matrix):.2f}",
        "build s": f"{build_s:.1f}",
        "tables MB": f"{size / 1e6:.0f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--test-from", default="2024-01-01")
    args = parser.parse_args()
    base = train.Fitting(train.N_ESTIMATORS, train.SEED, settings.train_threads())
    with prepared_periods(args.home, args.test_from) as (prep, split, periods):
        rows = compare(prep, periods, base)
    print(
        f"\ntest {split.test_from} → {split.test_until}, {rows[0]['sales']} sales, raw estimates\n"
    )
    columns = ["booster", "rounds", "leaves", "rate", "MDAPE", "PE10", "PE20"]
    shap = ["SHAP ms/home", "tables ms/home", "build s", "tables MB"]
    print(ev.table(rows, columns + [*shap, "fit s"], ("cod", "prd")))


def compare(prep, periods, base) -> list[dict]:
    """One row of figures per variant, fitted on model B's sales, scored on the test's."""
    features, test = prep.features, periods.test
    matrix_b, target_b = rows_of(features.matrix, periods.train_b), prep.target[periods.train_b]
    test_matrix = rows_of(features.matrix, test)
    price = prep.sales["price"].to_numpy(dtype="float64")[test]
    area = prep.sales["living_area_m2"].to_numpy(dtype="float64")[test]
    timed = test_matrix[:: max(1, len(test_matrix) // SHAP_HOMES)][:SHAP_HOMES]

    rows = []
    for label, rounds, params, seed in VARIANTS:
        fitting = replace(
            base,
            n_estimators=rounds or base.n_estimators,
            seed=base.seed if seed is None else seed,
            overrides=params,
        )
        lightgbm = fitting.params()
        started = time.monotonic()
        booster = fitting.fit(matrix_b, target_b, features.names)
        fit_s = time.monotonic() - started
        estimate = estimate_from(booster.predict(test_matrix), features.level[test], area)
        figures = ev.ratio_metrics(estimate, price)
        rows.append(
            {
                "booster": label,
                "rounds": fitting.n_estimators,
                "leaves": lightgbm["num_leaves"],
                "rate": lightgbm["learning_rate"],
                **{k.upper(): f"{100 * figures[k]:.2f} %" for k in ("mdape", "pe10", "pe20")},
                "cod": figures["cod"],
                "prd": figures["prd"],
                "SHAP ms/home": f"{shap_ms(booster, timed):.2f}",
                **tables_figures(booster, timed),
                "fit s": f"{fit_s:.0f}",
                "sales": len(price),
            }
        )
        print(f"  {label}: done in {fit_s:.0f} s", flush=True)
    return rows


if __name__ == "__main__":
    main()
