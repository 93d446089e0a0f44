"""Accuracy as a user gets it (`benchmarks/accuracy.py --as-user`): the test sales valued
from what a user gives, the address geocoded by the service's own geocoder, next to the
same sales valued from DVF's coordinates (see `training/as_user.py`).

    flock /work/cpu.lock .venv/bin/python benchmarks/accuracy.py --home H --as-user

Builds `<home>-as-user/` (the sales before --test-from, the BAN files, the address index
rebuilt from those), trains it unless it has a model already (`--retrain`), then scores
the clean test sales of the home (`--sample N`: a random N of them) and prints both paths,
the gap, the coverage per precision class, and the time the as-user scoring took.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from app.geocoding import Geocoder
from model import registry
from model.estimator import Estimator
from model.settings import layout
from training import as_user
from training import evaluation_report as ev_report
from training.prepare import read_sales
from training.train import clean_sales, run_training


def add_arguments(parser) -> None:
    parser.add_argument("--as-user", action="store_true", help=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help="with --as-user: train again")
    parser.add_argument("--sample", type=int, help="with --as-user: score N random test sales")


def main(args) -> None:
    source = layout(args.home)
    test_from = date.fromisoformat(args.test_from)
    cut = layout(Path(args.home).resolve().with_name(Path(args.home).name + "-as-user"))
    version = registry.read_champion(cut.models) if cut.models.is_dir() else None
    if version is None or args.retrain:
        started = time.monotonic()
        print(as_user.cut_home(source, cut, test_from))
        version = run_training(cut, log=print).name
        print(f"cut home trained in {time.monotonic() - started:.0f} s: {cut.home} {version}")
        registry.promote(cut.models, version, force=True)
    bundle = cut.models / version
    started = time.monotonic()
    estimator = Estimator.load(bundle)
    geocoder = Geocoder(None, 1.0, bundle / "reference")
    print(f"model {version} and geocoder loaded in {time.monotonic() - started:.1f} s")

    sales, _ = clean_sales(read_sales(source))
    test = sales.loc[sales["date"] >= str(test_from)].sort_values("date", kind="stable")
    if args.sample:
        test = test.sample(n=min(args.sample, len(test)), random_state=0).sort_values("date")
    test = test.reset_index(drop=True)
    print(f"{len(test)} clean test sales from {test_from}")
    locations, geocoding = as_user.geocode_sales(geocoder.geocode, test)
    started = time.perf_counter()
    frame = as_user.score(estimator, test, locations)
    pricing = time.perf_counter() - started
    summary = as_user.summarise(frame)
    summary["seconds"] = {"geocoding": geocoding, "pricing_both_paths": pricing}
    report = ev_report.as_user_report(summary)
    print(report)
    (cut.home / "as_user.md").write_text(f"# {version}\n\n{report}", encoding="utf-8")
    per = 1000 * geocoding / max(len(test), 1)
    print(
        f"as-user scoring: geocoding {geocoding:.0f} s ({per:.1f} ms per address), "
        f"pricing both paths {pricing:.0f} s, for {len(test)} sales"
    )
    out = cut.home / "as_user_summary.json"
    out.write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    print(f"summary written to {out} (and as_user.md)")
