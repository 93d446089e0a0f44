"""How many real DPE certificates find their sale: the samples of `../shared/data/dpe`
against the prepared Paris sales of a home.

    .venv/bin/python benchmarks/dpe_match.py --home $IMMOVAL_HOME [--data ../shared/data]

For each sample: certificates (in Paris), those whose BAN address holds a DVF sale of the
same kind of home, a sale of the same surface (±10 %), one dated after the certificate
(the only match a sale may use), and the sales matched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.prepare import read_sales
from training.surroundings.dpe import match_report, read_dpe

SAMPLES = ("dpe-logements-75-92-sample-geocoded.csv", "dpe-logements-paris-2025-extract.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    sales = read_sales(args.home / "prepared" / "sales", ["75"])
    for name in SAMPLES:
        certificates = read_dpe(args.data / "dpe" / name)
        paris = certificates.loc[certificates["ban_id"].str.startswith("751", na=False)]
        report = match_report(sales, paris.reset_index(drop=True))
        shares = {
            key: f"{report[key] / report['certificates']:.1%}"
            for key in ("address_in_sales", "same_surface_sale", "dated_before_a_sale")
        }
        print(json.dumps({"sample": name, **report, "shares": shares}))


if __name__ == "__main__":
    main()
