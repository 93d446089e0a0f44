"""Accuracy of the model against the targets, out of time (2024 as the test year by default).

    .venv/bin/python benchmarks/accuracy.py --home /tmp/model-home            # trains, then prints
    .venv/bin/python benchmarks/accuracy.py --home /tmp/model-home --version V  # prints a version
    .venv/bin/python benchmarks/accuracy.py --home /tmp/model-home --as-user    # as a user gets it

Prints the overall figures of the model, the ablation without the tranquillity features
and the two baselines next to the targets, the figures per département × type, the wall
time and the peak memory of the training.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import accuracy_as_user  # noqa: E402
from model import registry  # noqa: E402
from model.settings import layout  # noqa: E402
from training import evaluate as ev  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--version", help="print this version instead of training a new one")
    parser.add_argument("--test-from", default="2024-01-01")
    accuracy_as_user.add_arguments(parser)
    args = parser.parse_args()
    if args.as_user:  # the sales valued from what a user gives (benchmarks/accuracy_as_user.py)
        return accuracy_as_user.main(args)
    lay = layout(args.home)
    version = args.version
    if version is None:
        from training.train import run_training

        started = time.monotonic()
        path = run_training(lay, test_from=date.fromisoformat(args.test_from), log=print)
        version = path.name
        peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(
            f"\ntraining + evaluation: {time.monotonic() - started:.0f} s wall, "
            f"peak RSS {peak_gib:.2f} GiB (targets: ≤ 600 s, ≤ 6 GB)"
        )
    meta = registry.read_metadata(lay.models, version)
    evaluation = meta["evaluation"]
    print(
        f"\nversion {version}, test period {evaluation['test_period'][0]} → "
        f"{evaluation['test_period'][1]}\n"
    )
    print(ev.targets_table(evaluation["results"]))
    print("\nmodel per département × type:\n")
    print(
        ev.table(
            evaluation["results"]["model"]["by_departement_type"], ["departement", "property_type"]
        )
    )
    if "without_tranquillity" in evaluation["results"]:
        print("\nablation without tq_* per département × type:\n")
        print(
            ev.table(
                evaluation["results"]["without_tranquillity"]["by_departement_type"],
                ["departement", "property_type"],
            )
        )


if __name__ == "__main__":
    main()
