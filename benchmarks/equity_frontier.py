"""Vertical equity, out of time: what each way of treating the estimate's level costs and buys.

    flock /work/cpu.lock .venv/bin/python benchmarks/equity_frontier.py --home /tmp/model-home

Fits models A (before the calibration slice) and B (before the test) as the backtest does,
then prints for model B's test estimates: the raw estimates, the calibration by level the
bundle ships (`model.equity`, learnt on A's errors), an *unbiased* reference (B's own errors
shuffled within each département × type: by construction no bias at any level, so its PRD
and PRB are what noise alone gives), expansions away from the cell's middle (progressivity
bought with accuracy), shrinkage toward the neighbours' median, and B refitted with squared
error. Columns: MdAPE, PE10, PE20, median ratio, COD, PRD, PRB (IAAO, trimmed), untrimmed
PRD and PRB, and the median ratio's range over the deciles of the estimate and of the price.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.out_of_time import prepared_periods  # noqa: E402
from training import evaluate as ev  # noqa: E402
from training import settings, train  # noqa: E402
from training.calibration import calibration_errors, fit_on  # noqa: E402


def row(name: str, estimate, price) -> dict:
    """The figures of one variant (shares with two decimals: the 0.1-point question)."""
    estimate, price = np.asarray(estimate, "float64"), np.asarray(price, "float64")
    out = {"variant": name, **ev.ratio_metrics(estimate, price)}
    for share in ("mdape", "pe10", "pe20"):
        out[share.upper()] = f"{100 * out[share]:.2f} %"
    frame = pd.DataFrame({"estimate": estimate, "price": price})
    for by, label in (("estimate", "by estimate decile"), ("price", "by price decile")):
        ratios = ev.breakdown(frame.assign(decile=ev.price_decile(frame[by])), "decile")
        values = ratios["median_ratio"].to_numpy()
        out[label] = f"{values[0]:.3f} … {values[-1]:.3f} ({values.min():.3f}–{values.max():.3f})"
    return out


def shuffled_within_cells(test: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """Prices of an unbiased estimator with the same errors: each cell's errors shuffled."""
    rng = np.random.default_rng(seed)
    error = np.log(test["price"].to_numpy() / test["estimate"].to_numpy())
    for rows in test.groupby(["departement", "property_type"]).indices.values():
        error[rows] = rng.permutation(error[rows])
    return test["estimate"].to_numpy() * np.exp(error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--test-from", default="2024-01-01")
    args = parser.parse_args()
    fitting = train.Fitting(train.N_ESTIMATORS, train.SEED, settings.train_threads())
    with prepared_periods(args.home, args.test_from) as (prep, split, periods):
        errors_a = calibration_errors(prep, fitting, periods.train_a, periods.calib)
        test = calibration_errors(prep, fitting, periods.train_b, periods.test)
        f, mask = prep.features, periods.test
        area = prep.sales["living_area_m2"].to_numpy(dtype="float64")[mask]
        neighbours = np.exp(f.level[mask] + f.column("knn_rel_median")[mask]) * area
        squared_loss = replace(fitting, overrides={"objective": "regression"})
        squared = calibration_errors(prep, squared_loss, periods.train_b, periods.test)["estimate"]
    price, raw = test["price"], test["estimate"].to_numpy()
    cells = test["departement"].to_numpy(), test["property_type"].to_numpy()
    calibrated = fit_on(errors_a).equity.apply(*cells, raw)
    # The middle of each cell's estimates, learnt on model A's (before the test).
    middle = (
        errors_a.assign(x=np.log(errors_a["estimate"]))
        .groupby(["departement", "property_type"])["x"]
        .median()
    )
    distance = np.log(calibrated) - middle.reindex(pd.MultiIndex.from_arrays(cells)).to_numpy()
    distance = np.nan_to_num(distance)
    rows = [
        row("raw (model_uncalibrated)", raw, price),
        row("calibrated by level (model)", calibrated, price),
        # The model's estimates against prices drawn from them with the model's own errors.
        row("unbiased reference (errors shuffled)", raw, shuffled_within_cells(test)),
    ]
    for beta in (0.025, 0.05, 0.1):
        rows.append(
            row(
                f"calibrated, expanded × (e/middle)^{beta}",
                calibrated * np.exp(beta * distance),
                price,
            )
        )
    known = np.isfinite(neighbours)
    for weight in (0.1, 0.3):
        shrunk = np.where(
            known, raw ** (1 - weight) * np.where(known, neighbours, 1) ** weight, raw
        )
        rows.append(row(f"raw shrunk {weight:.0%} toward the neighbours' median", shrunk, price))
    rows.append(row("model B with squared error (raw)", squared, price))
    metrics = ("MDAPE", "PE10", "PE20", "median_ratio", "cod", "prd", "prb", "prd_untrimmed",
               "prb_untrimmed")  # fmt: skip
    print(f"\ntest {split.test_from} → {split.test_until}, {len(test)} sales\n")
    print(ev.table(rows, ["variant"], metrics))
    print()
    print(ev.table(rows, ["variant", "by estimate decile", "by price decile"], ()))


if __name__ == "__main__":
    main()
