"""Accuracy of the model against the targets, out of time (2024 as the test year by default).

    .venv/bin/python benchmarks/accuracy.py --home /tmp/model-home            # trains, then prints
    .venv/bin/python benchmarks/accuracy.py --home /tmp/model-home --version V  # prints a version
    .venv/bin/python benchmarks/accuracy.py --home /tmp/model-home --as-user    # as a user gets it

Prints the overall figures of the model, of the same model without its calibration by
level, of the ablation without the tranquillity features and of the two baselines next to
the targets (MdAPE, PE10, PE20, COD, PRD, PRB, coverage), the untrimmed COD, PRD and PRB,
the model's figures by decile of the estimate and of the sale price (before and after the
calibration) and per département × type, the wall time and the peak memory of the training.
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

EQUITY_METRICS = ("sales", "median_ratio", "mdape", "cod", "prd", "prb", "coverage")
UNTRIMMED = ("cod_untrimmed", "prd_untrimmed", "prb_untrimmed", "trimmed")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--version", help="print this version instead of training a new one")
    parser.add_argument("--test-from", default="2024-01-01")
    accuracy_as_user.add_arguments(parser)
    return parser.parse_args()


def trained_version(args: argparse.Namespace) -> str:
    """`--version`, else a version trained now (its wall time and peak memory printed)."""
    if args.version is not None:
        return args.version
    from training.train import run_training

    started = time.monotonic()
    path = run_training(layout(args.home), test_from=date.fromisoformat(args.test_from), log=print)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"\ntraining + evaluation: {time.monotonic() - started:.0f} s wall, "
        f"peak RSS {peak_gib:.2f} GiB (targets: ≤ 600 s, ≤ 6 GB)"
    )
    return path.name


def print_default(evaluation: dict) -> None:
    """Every variant against the targets, then the model's figures by cell and by decile."""
    results = evaluation["results"]
    print(ev.targets_table(results))
    print("\nCOD, PRD and PRB above are IAAO's: ratios beyond Q1 − 3·IQR, Q3 + 3·IQR left out.")
    print("Untrimmed:\n")
    print(ev.table([{"variant": n, **r["overall"]} for n, r in results.items()], ["variant"],
                   UNTRIMMED))  # fmt: skip
    for name in ("model", "model_uncalibrated"):
        if name not in results:
            continue
        for by, title in (("by_estimate_decile", "estimate"), ("by_price_decile", "sale price")):
            if results[name].get(by):
                print(f"\n{name} by decile of the {title}:\n")
                print(ev.table(results[name][by], ["decile"], EQUITY_METRICS))
    print("\nmodel per département × type:\n")
    print(ev.table(results["model"]["by_departement_type"], ["departement", "property_type"]))
    if "without_tranquillity" in results:
        print("\nablation without tq_* per département × type:\n")
        print(
            ev.table(
                results["without_tranquillity"]["by_departement_type"],
                ["departement", "property_type"],
            )
        )


def main() -> None:
    args = parse_args()
    if args.as_user:  # the sales valued from what a user gives (benchmarks/accuracy_as_user.py)
        return accuracy_as_user.main(args)
    version = trained_version(args)
    evaluation = registry.read_metadata(layout(args.home).models, version)["evaluation"]
    print(
        f"\nversion {version}, test period {evaluation['test_period'][0]} → "
        f"{evaluation['test_period'][1]}\n"
    )
    print_default(evaluation)


if __name__ == "__main__":
    main()
