"""How many prepared sales have known tranquillity features, per département.

.venv/bin/python -m training.tranquillity.coverage [--home HOME] [--departements 75,59]
"""

from __future__ import annotations

import argparse

import pandas as pd

from model.settings import layout
from model.tranquillity import GROUPS


def coverage_shares(sales: pd.DataFrame) -> pd.DataFrame:
    """Per département: sales, and the share with known camera features and published rates."""
    known = pd.DataFrame(
        {
            "departement": sales["departement"].astype(str),
            "cameras_known": sales["tq_cameras_250m"].notna(),
            **{f"{g}_published": sales[f"tq_{g}_rate"].notna() for g in GROUPS},
            # Published for the year just before the sale, with no fallback.
            "three_groups_previous_year": pd.concat(
                [sales[f"tq_{g}_age"].eq(1) for g in GROUPS[:3]], axis=1
            ).all(axis=1),
        }
    )
    shares = known.groupby("departement").mean().round(3)
    shares.insert(0, "sales", known.groupby("departement").size())
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None)
    parser.add_argument("--departements", default=None, help="comma-separated, default: all")
    args = parser.parse_args()
    from training.prepare import read_sales

    deps = args.departements.split(",") if args.departements else None
    sales = read_sales(layout(args.home), deps)
    print(coverage_shares(sales).to_string())


if __name__ == "__main__":
    main()
