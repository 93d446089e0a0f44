"""The offline address index: BAN département files where fetched, DVF addresses elsewhere.

Writes `prepared/reference/addresses.parquet`, read by the site's geocoder when the BAN
search API is unreachable or not configured. One row per address:
number, suffix, street, postcode, code_commune, commune_name, latitude, longitude,
source ("ban" | "dvf"), departement.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from model.geography import departements_of
from model.settings import Layout
from training.fetch.manifest import write_atomic

log = logging.getLogger(__name__)

COLUMNS = [
    "number",
    "suffix",
    "street",
    "postcode",
    "code_commune",
    "commune_name",
    "latitude",
    "longitude",
    "source",
    "departement",
]
BAN_COLUMNS = {
    "numero": "number",
    "rep": "suffix",
    "nom_voie": "street",
    "code_postal": "postcode",
    "code_insee": "code_commune",
    "nom_commune": "commune_name",
    "lat": "latitude",
    "lon": "longitude",
}
SALES_COLUMNS = {
    "address_number": "number",
    "address_suffix": "suffix",
    "street": "street",
    "postcode": "postcode",
    "code_commune": "code_commune",
    "commune_name": "commune_name",
    "latitude": "latitude",
    "longitude": "longitude",
    "departement": "departement",
}
# Metropolitan France and overseas départements fit in these bounds; anything else is a typo.
LATITUDE_RANGE = (-22.0, 52.0)
LONGITUDE_RANGE = (-62.0, 56.0)


def check_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep rows usable for geocoding; count the others by reason (they are reported)."""
    reasons = {
        "no_street": frame["street"].isna() | (frame["street"].astype("str").str.strip() == ""),
        "no_coordinates": frame["latitude"].isna() | frame["longitude"].isna(),
    }
    lat, lon = frame["latitude"], frame["longitude"]
    reasons["coordinates_out_of_bounds"] = ~reasons["no_coordinates"] & ~(
        lat.between(*LATITUDE_RANGE) & lon.between(*LONGITUDE_RANGE)
    )
    bad = pd.Series(False, index=frame.index)
    counts = {}
    for reason, mask in reasons.items():
        mask = mask & ~bad  # each row counted under its first reason only
        counts[reason] = int(mask.sum())
        bad |= mask
    return frame[~bad], counts


def read_ban(path: Path) -> pd.DataFrame:
    """One BAN `adresses-<dep>.csv.gz` export, in the index's columns."""
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(BAN_COLUMNS),
            column_types={c: pa.string() for c in BAN_COLUMNS if c not in ("lat", "lon")}
            | {"lat": pa.float64(), "lon": pa.float64()},
        ),
    )
    frame = table.to_pandas().rename(columns=BAN_COLUMNS)
    frame["source"] = "ban"
    frame["departement"] = departements_of(frame["code_commune"])
    return frame


def dvf_addresses(sales: pd.DataFrame) -> pd.DataFrame:
    """Distinct addresses of sales, at the median of their coordinates."""
    keys = ["number", "suffix", "street", "postcode", "code_commune"]
    frame = sales.rename(columns=SALES_COLUMNS)[list(SALES_COLUMNS.values())]
    frame = frame.assign(**{k: frame[k].fillna("").astype("str") for k in keys})
    grouped = frame.groupby(keys, sort=False, observed=True, dropna=False).agg(
        commune_name=("commune_name", "first"),
        latitude=("latitude", "median"),
        longitude=("longitude", "median"),
        departement=("departement", "first"),
    )
    out = grouped.reset_index()
    out["source"] = "dvf"
    return out


def build_index(ban: list[pd.DataFrame], sales: pd.DataFrame | None) -> tuple[pd.DataFrame, dict]:
    """Merge BAN files and DVF addresses; DVF only where no BAN file covers the département."""
    report: dict = {"ban": {}, "dvf": {}}
    parts = []
    ban_departements: set[str] = set()
    for frame in ban:
        kept, rejected = check_rows(frame)
        deps = sorted(set(kept["departement"].dropna()))
        ban_departements.update(deps)
        report["ban"][",".join(deps) or "none"] = {
            "rows": len(frame),
            "kept": len(kept),
            "rejected": rejected,
        }
        parts.append(kept)
    if sales is not None and len(sales):
        sales = sales.rename(columns=SALES_COLUMNS)
        elsewhere = ~sales["departement"].astype("str").isin(ban_departements)
        kept, rejected = check_rows(sales[elsewhere])
        addresses = dvf_addresses(kept)
        report["dvf"] = {
            "sales": len(sales),
            "sales_in_ban_departements": int((~elsewhere).sum()),
            "rejected": rejected,
            "addresses": len(addresses),
        }
        parts.append(addresses)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in COLUMNS}), report
    index = pd.concat([p[COLUMNS] for p in parts], ignore_index=True)
    for column in COLUMNS:
        if column not in ("latitude", "longitude"):
            index[column] = index[column].fillna("").astype("str")
    index = index.sort_values(
        ["departement", "code_commune", "street", "number"], kind="stable", ignore_index=True
    )
    report["rows"] = len(index)
    return index, report


def read_sales_addresses(sales_dir: Path) -> pd.DataFrame | None:
    """The address columns of the prepared sales, or None before `prepare` wrote any."""
    if not sales_dir.is_dir() or not any(sales_dir.rglob("*.parquet")):
        return None
    dataset = ds.dataset(sales_dir, format="parquet", partitioning="hive")
    wanted = [c for c in SALES_COLUMNS if c in dataset.schema.names]
    frame = dataset.to_table(columns=wanted).to_pandas()
    frame["departement"] = frame["departement"].astype("str")  # hive may infer integers
    return frame


def write_addresses(sales: pd.DataFrame | None, paths: Layout) -> dict:
    """Write `reference/addresses.parquet` from the fetched BAN files and `sales`; the report."""
    ban_files = sorted((paths.raw / "ban").glob("adresses-*.csv.gz"))
    index, report = build_index([read_ban(p) for p in ban_files], sales)
    paths.reference.mkdir(parents=True, exist_ok=True)
    target = paths.reference / "addresses.parquet"
    tmp = target.with_suffix(".parquet.tmp")
    pq.write_table(pa.Table.from_pandas(index, preserve_index=False), tmp)
    os.replace(tmp, target)  # readers never see a half-written index
    write_atomic(
        paths.prepared / "addresses_report.json", json.dumps(report, indent=1, ensure_ascii=False)
    )
    log.info("address index: %s rows -> %s", len(index), target)
    return report
