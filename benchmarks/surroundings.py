"""Serving cost of the surroundings: the `sr_*` features of one home, and one estimate
of bundles with and without them.

    .venv/bin/python benchmarks/surroundings.py BUNDLE [BUNDLE …] [--homes 300]

For each bundle (`models/<version>/`): its `sr_*` features, the median time of
`Surroundings.features` for one home (when the bundle has the tables) and of
`Estimator.estimate` (explained, as the API answers), at real sale places. Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.predict import homes  # noqa: E402
from model.estimator import Estimator  # noqa: E402
from model.property import Property  # noqa: E402
from model.surroundings import REFERENCE_DIR, Surroundings  # noqa: E402


def median_ms(fn, items) -> float:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def one_home(surroundings: Surroundings, home: dict) -> None:
    day = np.array([np.datetime64("today", "D")])
    surroundings.features([home["longitude"]], [home["latitude"]], day, [home["code_commune"]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundles", nargs="+", type=Path)
    parser.add_argument("--homes", type=int, default=300)
    args = parser.parse_args()
    for bundle in args.bundles:
        estimator = Estimator.load(bundle)
        places = homes(estimator, args.homes)
        props = [Property.from_mapping(h) for h in places]
        for prop in props[:20]:  # warm-up: first look-ups fault the mapped pages in
            estimator.estimate(prop)
        line = {"bundle": bundle.name, "sr_features": len(estimator.sr_features)}
        if (bundle / "reference" / REFERENCE_DIR).is_dir():
            line["sr_features_one_home_ms"] = round(
                median_ms(partial(one_home, Surroundings.load(bundle / "reference")), places), 3
            )
        line["estimate_ms"] = round(median_ms(estimator.estimate, props), 2)
        print(line)


if __name__ == "__main__":
    main()
