"""Serving speed of the champion model: load, one estimate, 1000 at once, a 100,000-row CSV.

    .venv/bin/python benchmarks/predict.py --home /tmp/model-home [--rows 100000]

Targets: single estimate (API) median ≤ 10 ms, web result page ≤ 50 ms, 1000 estimates
≤ 0.5 s, `immoval predict` on 100,000 rows ≤ 30 s. Prints medians.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.estimator import Estimator  # noqa: E402
from model.property import Property  # noqa: E402
from model.registry import read_champion  # noqa: E402
from model.settings import layout  # noqa: E402
from training.predict import DVF_NAMES, TYPES, run_predict  # noqa: E402


def homes(estimator: Estimator, n: int, seed: int = 0) -> list[dict]:
    """Real sale places and surfaces from the bundle, moved a little, valued today."""
    rng = np.random.default_rng(seed)
    s = estimator.sales
    rows = rng.integers(0, len(s), n)
    out = []
    for r in rows:
        rooms = s.rooms[r]
        out.append(
            {
                "property_type": s.property_type[r],
                "living_area_m2": float(s.living_area_m2[r]),
                "rooms": int(rooms) if np.isfinite(rooms) and rooms >= 1 else 3,
                "land_area_m2": float(s.land_area_m2[r]),
                "latitude": float(s.latitude[r] + rng.normal(0, 0.0005)),
                "longitude": float(s.longitude[r] + rng.normal(0, 0.0005)),
                "code_commune": s.code_commune[r],
            }
        )
    return out


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    models = layout(args.home).models
    version = read_champion(models)
    start = time.perf_counter()
    estimator = Estimator.load(models / version)
    print(f"model {version}: load {time.perf_counter() - start:.2f} s")

    today = date.today()
    props = [
        Property.from_mapping({**h, "valuation_date": today.isoformat()}, today=today)
        for h in homes(estimator, 1000)
    ]
    single = [timed(lambda p=p: estimator.estimate(p), 1)[0] for p in props[:200]]
    print(
        f"estimate (explained, 10 comparables, tranquillity summary): median "
        f"{1000 * statistics.median(single):.1f} ms, p95 {1000 * np.percentile(single, 95):.1f} ms"
    )
    quick = [
        timed(lambda p=p: estimator.estimate_many([p], explain=False), 1)[0] for p in props[:200]
    ]
    print(f"estimate_many of 1 (no explanation): median {1000 * statistics.median(quick):.1f} ms")
    batch = timed(lambda: estimator.estimate_many(props, explain=True), 5)
    print(f"estimate_many of 1000 (explained): median {statistics.median(batch):.3f} s")
    batch = timed(lambda: estimator.estimate_many(props, explain=False), 5)
    print(f"estimate_many of 1000 (values only): median {statistics.median(batch):.3f} s")

    # The columns `immoval predict` reads, named as it maps them to `Property` fields.
    fields = (
        "valuation_date",
        "property_type",
        "living_area_m2",
        "rooms",
        "land_area_m2",
        "longitude",
        "latitude",
        "code_commune",
    )
    kinds = {kind: name.capitalize() for name, kind in TYPES.items()}
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        with open(source, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([DVF_NAMES[name] for name in fields])
            for h in homes(estimator, args.rows, seed=1):
                row = {
                    **h,
                    "valuation_date": today.isoformat(),
                    "property_type": kinds[h["property_type"]],
                    "longitude": f"{h['longitude']:.6f}",
                    "latitude": f"{h['latitude']:.6f}",
                }
                writer.writerow([row[name] for name in fields])
        start = time.perf_counter()
        counts = run_predict(estimator, source, target)
        print(
            f"predict CSV of {args.rows} rows: {time.perf_counter() - start:.1f} s "
            f"({counts['estimated']} estimated, {counts['errors']} errors)"
        )


if __name__ == "__main__":
    main()
