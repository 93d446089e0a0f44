"""Can a bundle serve? Load it and estimate two homes, in this process or in a child one.

A bundle may pass its checksums and still be unusable (built by other feature code, or
a model file LightGBM cannot parse: it then crashes the process). `promote` therefore
loads the candidate in a child process (`python -m model.probe BUNDLE`): a crash costs
the child, and the pointer does not move.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

# Loading a whole-France bundle takes well under this on a 2-core machine.
CHILD_TIMEOUT_SECONDS = 600
_OK = "probe: ok"


class BundleUnusable(RuntimeError):
    """The bundle cannot serve estimates (the message says why)."""


def probe_homes(bundle_dir: Path, departements) -> list:
    """An apartment and a house in the most populous commune the bundle covers."""
    import pyarrow.parquet as pq

    from model.property import Property

    communes = pq.read_table(
        Path(bundle_dir) / "reference" / "communes.parquet",
        columns=["departement", "population", "latitude", "longitude"],
    ).to_pylist()
    departements = set(departements)
    covered = [
        c
        for c in communes
        if c["departement"] in departements
        and c["latitude"] is not None
        and c["longitude"] is not None
    ]
    if not covered:
        return []
    top = max(covered, key=lambda c: c["population"] or 0)
    return [
        Property(kind, area, rooms, top["latitude"], top["longitude"], date.today())
        for kind, area, rooms in (("apartment", 60.0, 3), ("house", 100.0, 5))
    ]


def check_estimates(bundle_dir: Path, estimator) -> int:
    """Estimate the probe homes (explained); raise what fails; how many were priced."""
    from model.coverage import OutsideCoverage

    priced = 0
    for result in estimator.estimate_many(
        probe_homes(bundle_dir, estimator.departements), explain=True
    ):
        if isinstance(result, OutsideCoverage):
            continue
        if isinstance(result, Exception):
            raise result
        if not math.isfinite(result.value) or result.value <= 0:
            raise BundleUnusable(f"absurd estimate {result.value} €")
        priced += 1
    return priced


def check_in_child(bundle_dir: str | Path, timeout: float = CHILD_TIMEOUT_SECONDS) -> None:
    """Load the bundle and estimate in a child process; `BundleUnusable` saying why not."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "model.probe", str(bundle_dir)],
            capture_output=True,
            text=True,
            errors="replace",  # a crashing parser may print anything
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise BundleUnusable(f"loading it took more than {timeout:.0f} s") from None
    if done.returncode == 0 and _OK in done.stdout:
        return
    if done.returncode < 0:
        crash = signal.Signals(-done.returncode).name
        raise BundleUnusable(f"loading it crashed the process ({crash})")
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    raise BundleUnusable(f"it cannot serve: {last[:500]}")


def main(argv: list[str]) -> int:
    """Child entry point: load `argv[0]` and estimate; exit 0 only if it serves."""
    from model.estimator import Estimator

    bundle_dir = Path(argv[0])
    estimator = Estimator.load(bundle_dir)
    priced = check_estimates(bundle_dir, estimator)
    print(f"{_OK} ({priced} homes priced)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
