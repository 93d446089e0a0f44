"""Speed of the tranquillity look-ups: 10,000 points, median time per look-up.

    .venv/bin/python benchmarks/tranquillity.py [--home /tmp/tq-home]

Builds `prepared/reference/tranquillity/` from `<home>/raw` when it is missing, then
times `Tranquillity.features` on 10,000 random points of the communes of the raw
communes file (read by `training.communes.read_communes`; half of the points in Paris,
where camera queries run), in one batch and one point at a time (as the benchmark's
lists, and as the estimator passes them), and `summary` for one point. Prints medians
over repeats, and for one point Paris and elsewhere apart.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from model.settings import layout
from model.tranquillity import Tranquillity
from training.communes import read_communes

POINTS = 10_000
REPEATS = 7
SINGLE_CALLS = 2_000
SUMMARY_CALLS = 1_000


def sample_points(raw: Path, n: int, seed: int = 0) -> pd.DataFrame:
    """Random points around commune centroids of the four départements, half in Paris."""
    communes = read_communes(raw)
    if communes is None:
        raise SystemExit(f"no communes file under {raw}: run `immoval fetch` first")
    code, lat, lon = "insee_com", "lat", "lng"
    communes = communes[communes[code].str[:2].isin(["34", "59", "75", "76"])].dropna(
        subset=[lat, lon]
    )
    rng = np.random.default_rng(seed)
    paris = rng.random(n) < 0.5
    pick = communes.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    longitude = pick[lon].astype(float).to_numpy() + rng.normal(0, 0.01, n)
    latitude = pick[lat].astype(float).to_numpy() + rng.normal(0, 0.01, n)
    longitude[paris] = rng.uniform(2.25, 2.42, paris.sum())
    latitude[paris] = rng.uniform(48.82, 48.90, paris.sum())
    codes = pick[code].where(~paris, "75056")
    dates = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    return pd.DataFrame(
        {"longitude": longitude, "latitude": latitude, "date": dates, "code": codes}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="IMMOVAL_HOME (default: the environment's)")
    args = parser.parse_args()
    paths = layout(args.home)
    reference = paths.reference / "tranquillity"
    if not (reference / "communes.parquet").exists():
        from training.tranquillity import build_reference

        build_reference(paths.raw, reference)
    start = time.perf_counter()
    tranquillity = Tranquillity.load(reference)
    print(f"load: {time.perf_counter() - start:.2f} s ({tranquillity.camera_count:,} cameras)")
    points = sample_points(paths.raw, POINTS)
    args_ = (points["longitude"], points["latitude"], points["date"], points["code"])

    batch = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        tranquillity.features(*args_)
        batch.append((time.perf_counter() - start) / POINTS * 1000)
    print(f"features, batch of {POINTS}: median {statistics.median(batch):.4f} ms per look-up "
          f"(repeats: {', '.join(f'{t:.4f}' for t in batch)})")  # fmt: skip

    paris = (points["code"] == "75056").to_numpy()
    single = []
    for row in points.head(SINGLE_CALLS).itertuples():
        start = time.perf_counter()
        tranquillity.features([row.longitude], [row.latitude], [row.date], [row.code])
        single.append((time.perf_counter() - start) * 1000)
    report("features, one point per call", single, paris[:SINGLE_CALLS])

    # As the estimator calls it: numpy arrays, datetime64[D], codes as a list (arrondissement
    # codes are mapped by `features` itself).
    inputs = [
        (
            np.array([row.longitude]),
            np.array([row.latitude]),
            np.array([row.date], dtype="datetime64[D]"),
            [row.code],
        )
        for row in points.head(SINGLE_CALLS).itertuples()
    ]
    served = []
    for args_one in inputs:
        start = time.perf_counter()
        tranquillity.features(*args_one)
        served.append((time.perf_counter() - start) * 1000)
    report("features, one point as the estimator passes it", served, paris[:SINGLE_CALLS])

    summary = []
    for row in points.head(SUMMARY_CALLS).itertuples():
        start = time.perf_counter()
        tranquillity.summary(row.longitude, row.latitude, row.code, date(2024, 6, 1))
        summary.append((time.perf_counter() - start) * 1000)
    report("summary, one point per call", summary, paris[:SUMMARY_CALLS])


def report(label: str, times: list[float], paris: np.ndarray) -> None:
    """Median per call, overall and in Paris (camera queries) versus elsewhere."""
    times = np.asarray(times)
    print(
        f"{label} ({len(times):,} calls): median {np.median(times):.3f} ms "
        f"(Paris {np.median(times[paris]):.3f} ms, elsewhere {np.median(times[~paris]):.3f} ms)"
    )


if __name__ == "__main__":
    main()
