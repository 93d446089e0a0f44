"""The champion as deployed against the challenger, on the same newest sales.

A retrain on a fresher release moves the test period, so the two versions' own
evaluations cover different sales. Here both are scored on the *comparison sales*: the
clean sales dated after the champion's data end that the challenger's evaluation also
holds out (on or after its test start).

- The champion: its bundle loaded unchanged (`model.estimator.Estimator`, checksums
  verified), every comparison sale priced by its `Pricer` as serving would price that
  home: features from the sales the champion knew (its own bundle's history), its market
  index carried past its data end, its tranquillity tables, its ranges; the homes serving
  would refuse (`model.coverage`) are counted, not priced.
- The challenger: its evaluation model B (trained before its test start), with features
  frozen at the comparison start (the sales before it, the market index up to the month
  before): the information the champion had, so that the models, not the histories, are
  compared (see docs/ARCHITECTURE.md, "Champion against challenger").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.coverage import too_far
from model.estimator import Estimator
from training import evaluate as ev
from training.backtest import TEST_COLUMNS, frozen_features
from training.calibration import Calibration, estimate_from

if TYPE_CHECKING:  # types only: train imports this module
    from training.backtest import Backtest
    from training.train import Prepared

# Homes priced per batch by the champion (bounded memory on a national test year).
CHUNK = 20_000
SUBJECT_COLUMNS = ("property_type", "latitude", "longitude", "departement", "code_commune")


def comparison_start(champion_until: date, test_from: date) -> date:
    """The first day of the comparison: after the champion's data, inside the test period."""
    return max(champion_until + timedelta(days=1), test_from)


def sales_digest(mutation_ids) -> str:
    """sha256 of the sorted mutation ids: two frames with the same digest hold the same sales."""
    joined = "\n".join(sorted(str(m) for m in mutation_ids))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def champion_frame(estimator: Estimator, sales: pd.DataFrame) -> pd.DataFrame:
    """`sales` priced by a loaded champion as serving prices them: `estimate`, `low`, `high`
    (NaN where refused) and `refused` (the coverage code, else None)."""
    frame = sales.loc[:, TEST_COLUMNS].copy()
    frame["mutation_id"] = sales["mutation_id"].to_numpy()
    for name in ("estimate", "low", "high", "estimate_uncalibrated"):
        frame[name] = np.nan
    frame["refused"] = None
    departement = sales["departement"].astype(str).to_numpy()
    kind = sales["property_type"].astype(str).to_numpy()
    known = np.array(
        [d in estimator.departements and (d, k) in estimator.market.levels
         for d, k in zip(departement, kind, strict=True)], dtype=bool,
    )  # fmt: skip
    frame.loc[~known, "refused"] = "departement_not_trained"
    rows = np.flatnonzero(known)
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        priced = estimator.price_subjects(subjects_of(sales.iloc[part]))
        far = np.array(
            [too_far(priced.batch.distances[j, 0], kind[i], departement[i]) is not None
             for j, i in enumerate(part)], dtype=bool,
        )  # fmt: skip
        value = np.where(far, np.nan, priced.value)
        frame.iloc[part, frame.columns.get_loc("estimate_uncalibrated")] = np.where(
            far, np.nan, priced.uncalibrated
        )
        frame.iloc[part, frame.columns.get_loc("estimate")] = value
        frame.iloc[part, frame.columns.get_loc("low")] = value * np.exp(priced.low)
        frame.iloc[part, frame.columns.get_loc("high")] = value * np.exp(priced.high)
        frame.iloc[part[far], frame.columns.get_loc("refused")] = "too_far_from_sales"
    return frame


def subjects_of(sales: pd.DataFrame) -> dict:
    """Sales as the serving feature code reads homes (`model.pricing.subjects_of`'s keys):
    each sale's own description, its date as the valuation date."""
    subjects = {name: sales[name].astype(str).to_numpy(dtype=object) for name in SUBJECT_COLUMNS}
    subjects["latitude"] = sales["latitude"].to_numpy(dtype="float64")
    subjects["longitude"] = sales["longitude"].to_numpy(dtype="float64")
    subjects["date"] = sales["date"].to_numpy().astype("datetime64[D]")
    for name in ("living_area_m2", "rooms", "land_area_m2", "outbuildings"):
        subjects[name] = pd.array(sales[name], dtype="Float64").to_numpy("float64", np.nan)
    subjects["land_area_m2"] = np.nan_to_num(subjects["land_area_m2"])
    subjects["outbuildings"] = np.nan_to_num(subjects["outbuildings"])
    # A bundle's own sales table (the report's drift) does not keep is_vefa: 0, as serving.
    vefa = sales["is_vefa"].fillna(False) if "is_vefa" in sales else np.zeros(len(sales))
    subjects["is_vefa"] = np.asarray(vefa, dtype="float64")
    parcel = sales["parcel_id"] if "parcel_id" in sales else pd.Series([None] * len(sales))
    subjects["parcel_id"] = parcel.astype(object).where(parcel.notna(), None).to_numpy()
    return subjects


def challenger_frame(prep: Prepared, backtest: Backtest, start: date) -> pd.DataFrame:
    """The sales from `start` estimated by the challenger's model B, history frozen there."""
    split = replace(backtest.split, test_from=start)
    frozen = frozen_features(prep, split)
    sales = prep.sales.loc[prep.sales["date"] >= pd.Timestamp(start)]
    frame = sales.loc[:, TEST_COLUMNS].copy()
    frame["mutation_id"] = sales["mutation_id"].to_numpy()
    area = sales["living_area_m2"].to_numpy(dtype="float64")
    raw = estimate_from(backtest.model_b.predict(frozen.matrix), frozen.level, area)
    # Calibrated by level and ranged as the backtest's `model` variant is.
    calibration = Calibration(backtest.calibration_equity, backtest.calibration_ranges)
    frame = calibration.apply(frame, raw, frozen.column("knn_rel_spread"))
    frame["estimate_uncalibrated"] = raw
    return frame


def uncalibrated(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` priced by the model alone, before the calibration by level (its range moved
    with it): the two sides' models compared without their calibrations, learnt on
    different periods — equal when both models are (a serving/training skew check)."""
    out = frame.copy()
    scale = out["estimate_uncalibrated"] / out["estimate"]
    out["estimate"], out["low"], out["high"] = (
        out["estimate_uncalibrated"],
        out["low"] * scale,
        out["high"] * scale,
    )
    return out


def compare(
    champion_dir: Path,
    prep: Prepared,
    backtest: Backtest,
    log: Callable[[str], None] = lambda message: None,
) -> dict | None:
    """The `champion_comparison` entry of the challenger's metadata; None when no sale is
    newer than the champion's data. A champion that cannot be loaded is recorded with its
    `error` (the guard then refuses: the comparison is the reason to promote)."""
    version = champion_dir.name
    try:
        estimator = Estimator.load(champion_dir)
    except Exception as exc:  # noqa: BLE001 - any reason it cannot serve is the answer
        return {"champion": version, "error": f"{type(exc).__name__}: {exc}"}
    start = comparison_start(estimator.data_until, backtest.split.test_from)
    newer = prep.sales["date"] >= pd.Timestamp(start)
    if not newer.any():
        return None
    log(f"champion {version} as deployed on the {int(newer.sum())} sales from {start}")
    champion = champion_frame(estimator, prep.sales.loc[newer])
    challenger = challenger_frame(prep, backtest, start)
    both = champion["estimate"].notna().to_numpy() & challenger["estimate"].notna().to_numpy()
    refused = champion.loc[~both, "refused"].fillna("no_estimate").value_counts()
    return {
        "champion": version,
        "champion_data_until": estimator.data_until.isoformat(),
        "period": [start.isoformat(), backtest.split.test_until.isoformat()],
        "sales": int(both.sum()),
        "not_compared": {str(k): int(v) for k, v in refused.items()},
        "sales_sha256": sales_digest(champion.loc[both, "mutation_id"]),
        "challenger_frozen_at": start.isoformat(),
        "results": {
            "champion": ev.evaluate(champion.loc[both]),
            "challenger": ev.evaluate(challenger.loc[both]),
            "champion_uncalibrated": ev.evaluate(uncalibrated(champion.loc[both])),
            "challenger_uncalibrated": ev.evaluate(uncalibrated(challenger.loc[both])),
        },
    }


def against_champion(
    models_dir: Path, prep: Prepared, backtest: Backtest, log: Callable[[str], None]
) -> dict | None:
    """The comparison with the current champion, if there is one (see `compare`)."""
    from model import registry

    champion = registry.read_champion(models_dir)
    if champion is None:
        return None
    return compare(Path(models_dir) / champion, prep, backtest, log)
