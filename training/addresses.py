"""The offline address index: BAN département files where fetched, DVF addresses elsewhere.

Writes `prepared/reference/addresses.sqlite3` (`model.address_index`), read by the site's
geocoder when the BAN search API is unreachable or not configured, département by
département as prepare goes; and `reference/address_points/` (`model.places`), the points
that locate a commune. Rows: number, suffix, street, postcode, code_commune, commune_name,
latitude, longitude, source ("ban" | "dvf"), departement.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds

from model.address_index import INDEX_FILE, AddressIndexWriter
from model.geography import departements_of
from model.mapped import TextColumn
from model.places import write_points
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
    "parcel_id": "parcel_id",
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
    frame = sales.rename(columns=SALES_COLUMNS)
    frame = frame[[c for c in SALES_COLUMNS.values() if c in frame.columns]]
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


def ban_part(frame: pd.DataFrame) -> tuple[pd.DataFrame, str, dict]:
    """One BAN file's usable rows, the départements it covers and its report entry."""
    kept, rejected = check_rows(frame)
    deps = ",".join(sorted(set(kept["departement"].dropna()))) or "none"
    return _in_order(kept), deps, {"rows": len(frame), "kept": len(kept), "rejected": rejected}


def dvf_part(sales: pd.DataFrame, ban_departements: set[str]) -> tuple[pd.DataFrame, dict]:
    """The distinct addresses of sales outside the BAN départements, and their counts."""
    sales = sales.rename(columns=SALES_COLUMNS)
    elsewhere = ~sales["departement"].astype("str").isin(ban_departements)
    kept, rejected = check_rows(sales[elsewhere])
    addresses = dvf_addresses(kept)
    counts = {
        "sales": len(sales),
        "sales_in_ban_departements": int((~elsewhere).sum()),
        "rejected": rejected,
        "addresses": len(addresses),
    }
    return _in_order(addresses), counts


def _in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Index columns as text (coordinates aside), sorted as the index lists them."""
    frame = frame.loc[:, COLUMNS].copy()
    for column in COLUMNS:
        if column not in ("latitude", "longitude"):
            frame[column] = frame[column].fillna("").astype("str")
    return frame.sort_values(
        ["departement", "code_commune", "street", "number"], kind="stable", ignore_index=True
    )


def build_index(ban: list[pd.DataFrame], sales: pd.DataFrame | None) -> tuple[pd.DataFrame, dict]:
    """Merge BAN files and DVF addresses; DVF only where no BAN file covers the département."""
    report: dict = {"ban": {}, "dvf": {}}
    parts, ban_departements = [], set()
    for frame in ban:
        kept, deps, report["ban"][deps] = ban_part(frame)
        ban_departements.update(kept["departement"])
        parts.append(kept)
    if sales is not None and len(sales):
        addresses, report["dvf"] = dvf_part(sales, ban_departements)
        parts.append(addresses)
    index = _in_order(pd.concat(parts, ignore_index=True)) if parts else _in_order(_empty())
    report["rows"] = len(index)
    return index, report


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if "itude" in c else "str") for c in COLUMNS})


class AddressIndex:
    """`reference/addresses.sqlite3` built as prepare goes: the fetched BAN files first,
    then each département's sales as they come (one département in memory at a time)."""

    def __init__(self, paths: Layout):
        self.paths = paths
        paths.reference.mkdir(parents=True, exist_ok=True)
        self.writer = AddressIndexWriter(paths.reference / INDEX_FILE)
        self.report: dict = {"ban": {}, "dvf": {}}
        self.ban_departements: set[str] = set()
        # The points that locate a commune (`model.places`), communes as codes.
        self._latitude: list[np.ndarray] = []
        self._longitude: list[np.ndarray] = []
        self._commune: list[np.ndarray] = []
        self._communes: dict[str, int] = {}
        for path in sorted((paths.raw / "ban").glob("adresses-*.csv.gz")):
            kept, deps, self.report["ban"][deps] = ban_part(read_ban(path))
            self.ban_departements.update(kept["departement"])
            self._add(kept)

    def add_sales(self, sales: pd.DataFrame) -> None:
        """The addresses of one département's sales (the sales table's columns)."""
        addresses, counts = dvf_part(sales, self.ban_departements)
        dvf = self.report["dvf"]
        for key, value in counts.items():
            if key == "rejected":
                for reason, n in value.items():
                    dvf.setdefault(key, {})[reason] = dvf.get(key, {}).get(reason, 0) + n
            else:
                dvf[key] = dvf.get(key, 0) + value
        self._add(addresses)
        if "parcel_id" in sales.columns:  # every département's, BAN ones too
            self.writer.add_parcels(sales.rename(columns=SALES_COLUMNS))

    def _add(self, addresses: pd.DataFrame) -> None:
        self.writer.add(addresses)
        self._latitude.append(addresses["latitude"].to_numpy(dtype="float64"))
        self._longitude.append(addresses["longitude"].to_numpy(dtype="float64"))
        communes = pd.Categorical(addresses["code_commune"])
        ids = [self._communes.setdefault(c, len(self._communes)) for c in communes.categories]
        self._commune.append(np.asarray(ids, dtype="int32")[communes.codes])

    def finish(self) -> dict:
        """Move the index into place, write the address points and the report; the report."""
        self.report["rows"] = self.writer.rows
        self.writer.finish()
        write_points(
            self.paths.reference,
            np.concatenate([np.zeros(0), *self._latitude]),
            np.concatenate([np.zeros(0), *self._longitude]),
            TextColumn(
                pa.array(list(self._communes), pa.large_string()),
                np.concatenate([np.zeros(0, dtype="int32"), *self._commune]),
            ),
        )
        write_atomic(
            self.paths.prepared / "addresses_report.json",
            json.dumps(self.report, indent=1, ensure_ascii=False),
        )
        (self.paths.reference / "addresses.parquet").unlink(missing_ok=True)  # older index
        log.info("address index: %s rows -> %s", self.report["rows"], self.writer.path)
        return self.report

    def abort(self) -> None:
        self.writer.abort()


def write_addresses(paths: Layout) -> dict:
    """Rebuild the index from the fetched BAN files and the prepared sales; the report."""
    index = AddressIndex(paths)
    try:
        sales_dir = paths.prepared / "sales"
        for folder in sorted(sales_dir.glob("departement=*")) if sales_dir.is_dir() else []:
            frame = ds.dataset(folder, format="parquet").to_table().to_pandas()
            wanted = [c for c in SALES_COLUMNS if c in frame.columns]
            index.add_sales(frame.loc[:, wanted].assign(departement=folder.name.split("=", 1)[1]))
    except BaseException:
        index.abort()
        raise
    return index.finish()
