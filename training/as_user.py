"""Accuracy as a user gets it: test sales valued from what a user gives, through serving.

The backtest feeds each test sale DVF's own coordinates (its parcel's centroid) and its
parcel. A homeowner gives the type, living area, rooms, land (a house), outbuildings and
the address as text; the service geocodes it and may land on the house number, between
known numbers, on the street or at the commune's centre. Here both are scored with the
same served model (`model.estimator.Estimator.estimate_many`):

- `coordinates`: DVF's coordinates, commune and parcel (what the evaluation measures);
- `as_user`: the address typed from DVF's fields, geocoded by the service's own offline
  geocoder (`app.geocoding.Geocoder` on the bundle's `reference/`), its precision passed on.

Honesty of the index: outside Paris the offline index is built from DVF's addresses, so
an index holding the test sales would place each of them at its own parcel. The model and
the index used here come from a *cut* home (`cut_home`): the prepared sales before the test
start, the raw BAN files and the address index rebuilt from those two only. An address
seen only in the test is then interpolated, or found at its street or commune, as a new
sale's would be in production. The model is that home's final model: trained on every
sale before the test, its history and market index frozen there (as deployed).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from model.coverage import OutsideCoverage
from model.property import Property
from model.ranges import precision_classes
from model.settings import Layout
from training import evaluate as ev

# Estimates per call of `estimate_many` (one LightGBM pass each).
CHUNK = 1_000
_PATHS = ("coordinates", "as_user")


def cut_home(source: Layout, target: Layout, test_from: date) -> dict:
    """`target`: the prepared sales of `source` before `test_from`, its reference tables,
    its raw BAN files, and the address index rebuilt from those (no test sale in it)."""
    from training.addresses import write_addresses  # geopandas side: training only

    shutil.rmtree(target.home, ignore_errors=True)
    target.raw.mkdir(parents=True)
    if (source.raw / "ban").is_dir():
        (target.raw / "ban").symlink_to((source.raw / "ban").resolve(), target_is_directory=True)
    kept = dropped = 0
    limit = pd.Timestamp(test_from)
    for path in sorted((source.prepared / "sales").rglob("*.parquet")):
        table = pq.read_table(path)
        before = table.filter(pc.less(table["date"], limit.to_datetime64()))
        kept, dropped = kept + before.num_rows, dropped + table.num_rows - before.num_rows
        out = target.prepared / path.relative_to(source.prepared)
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(before, out)
    shutil.copytree(
        source.reference,
        target.reference,
        ignore=shutil.ignore_patterns("addresses.sqlite3", "addresses.parquet", "address_points"),
    )
    report = write_addresses(target)
    return {"sales_before": kept, "sales_left_out": dropped, "addresses": report["rows"]}


def typed_address(sale) -> str:
    """The address as a user would type it, from DVF's fields (`12 B RUE X 59800 LILLE`)."""
    parts = [sale.address_number, sale.address_suffix, sale.street, sale.postcode, sale.commune]
    return " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())


def user_property(sale, latitude, longitude, code_commune, precision, parcel_id=None) -> Property:
    """What a user gives of a sold home (land only for a house), at a place."""
    house = sale.property_type == "house"
    return Property(
        property_type=sale.property_type,
        living_area_m2=float(sale.living_area_m2),
        rooms=None if pd.isna(sale.rooms) else int(sale.rooms),
        latitude=float(latitude),
        longitude=float(longitude),
        valuation_date=pd.Timestamp(sale.date).date(),
        land_area_m2=float(sale.land_area_m2) if house else None,
        outbuildings=int(sale.outbuildings or 0),
        code_commune=code_commune,
        precision=precision,
        parcel_id=parcel_id,
    )


def geocode_sales(geocode: Callable[[str], object], sales: pd.DataFrame) -> tuple[list, float]:
    """The service's location of each sale's typed address (None: not found), and seconds."""
    started = time.perf_counter()
    rows = sales.rename(columns={"commune_name": "commune"})
    found = [geocode(typed_address(sale)) for sale in rows.itertuples(index=False)]
    return found, time.perf_counter() - started


def score(estimator, sales: pd.DataFrame, locations: list) -> pd.DataFrame:
    """Both paths' estimate, range and confidence of each sale (NaN where not valued)."""
    sales = sales.reset_index(drop=True)
    frame = sales.loc[:, ["departement", "property_type", "price"]].copy()
    frame["precision"] = [loc.precision if loc is not None else "not_found" for loc in locations]
    frame["precision_class"] = precision_classes(
        [loc.precision if loc is not None else None for loc in locations]
    )
    frame.loc[frame["precision"] == "not_found", "precision_class"] = "not_found"
    rows = list(sales.itertuples(index=False))
    exact = [user_property(s, s.latitude, s.longitude, s.code_commune, None) for s in rows]
    placed = {
        k: user_property(
            s, loc.latitude, loc.longitude, loc.code_commune, loc.precision, loc.parcel_id
        )
        for k, (s, loc) in enumerate(zip(rows, locations, strict=True))
        if loc is not None
    }
    _put(frame, "coordinates", _estimates(estimator, exact, list(sales["parcel_id"])))
    order = sorted(placed)
    answers = _estimates(estimator, [placed[k] for k in order], None)
    _put(frame, "as_user", dict(zip(order, answers.values(), strict=True)))
    return frame


def _estimates(estimator, props: list[Property], parcels) -> dict[int, object]:
    out: dict[int, object] = {}
    for start in range(0, len(props), CHUNK):
        chunk = props[start : start + CHUNK]
        given = None if parcels is None else parcels[start : start + CHUNK]
        answers = estimator.estimate_many(chunk, explain=False, parcel_ids=given)
        out.update((start + j, a) for j, a in enumerate(answers))
    return out


def _put(frame: pd.DataFrame, path: str, answers: dict[int, object]) -> None:
    for column in ("estimate", "low", "high", "confidence", "refused"):
        frame[f"{path}_{column}"] = np.nan if column not in ("confidence", "refused") else None
    for k, answer in answers.items():
        if isinstance(answer, OutsideCoverage):
            frame.at[k, f"{path}_refused"] = answer.code
        else:
            frame.at[k, f"{path}_estimate"] = answer.value
            frame.at[k, f"{path}_low"] = answer.low
            frame.at[k, f"{path}_high"] = answer.high
            frame.at[k, f"{path}_confidence"] = answer.confidence


def summarise(frame: pd.DataFrame) -> dict:
    """Both paths on the sales both valued; as a user, per precision and per class."""
    both = frame["coordinates_estimate"].notna() & frame["as_user_estimate"].notna()
    out: dict = {
        "sales": len(frame),
        "not_found": int((frame["precision"] == "not_found").sum()),
        "refused": {p: frame[f"{p}_refused"].value_counts().to_dict() for p in _PATHS},
        "scored": int(both.sum()),
    }
    valued = frame.loc[both]
    out["paths"] = {p: _metrics(valued, p) for p in _PATHS}
    out["gap"] = {
        k: _diff(out["paths"]["as_user"][k], out["paths"]["coordinates"][k])
        for k in ("mdape", "pe10", "pe20", "coverage", "width")
    }
    for key in ("precision", "precision_class", "departement"):
        out[f"by_{key}"] = [
            {key: name, **_metrics(part, "as_user"), "coordinates": _metrics(part, "coordinates")}
            for name, part in valued.groupby(key, sort=True)
        ]
    out["confidence"] = [
        {"precision_class": c, "confidence": level, **_metrics(part, "as_user")}
        for (c, level), part in valued.groupby(["precision_class", "as_user_confidence"])
    ]
    return out


def _metrics(frame: pd.DataFrame, path: str) -> dict:
    return ev.ratio_metrics(
        frame[f"{path}_estimate"], frame["price"], frame[f"{path}_low"], frame[f"{path}_high"]
    )


def _diff(a, b):
    return None if a is None or b is None else a - b
