"""`immoval prepare`'s core: raw DVF files -> the sales table, the cleaning report, references.

A sequence of steps, each a function; enrichment steps (tranquillity features, address
index) are one-line additions at the marked place in `run_prepare`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from tqdm import tqdm

from model.places import read_communes as read_reference_communes
from model.settings import Layout
from training import addresses, cleaning
from training.communes import build_communes, communes_table, read_communes
from training.departement import DepartementResult
from training.departement import sales_of_rows as sales_of_rows  # the step of one file
from training.dvf import REJECTED_COLUMNS, DvfLayoutError
from training.errors import PipelineError
from training.fetch.manifest import sha256_of, write_atomic
from training.partitions import Plan, plan_departements, prepared_departements, release_memory
from training.sales import SALES_COLUMNS
from training.staging import Staging
from training.surroundings import build_reference as build_surroundings
from training.tranquillity import build_reference

# Bump when the sales table's columns or their meaning change (see docs/ARCHITECTURE.md).
SCHEMA_VERSION = "1"
# Bump when prepare's rules change, so that unchanged inputs are prepared again.
PREPARE_VERSION = "3"  # 3: the address index in SQLite (was addresses.parquet)

SALES_SCHEMA = pa.schema(
    [
        ("mutation_id", pa.string()),
        ("date", pa.timestamp("ns")),
        ("nature", pa.dictionary(pa.int8(), pa.string())),
        ("is_vefa", pa.bool_()),
        ("price", pa.float64()),
        ("property_type", pa.dictionary(pa.int8(), pa.string())),
        ("living_area_m2", pa.float32()),
        ("carrez_area_m2", pa.float32()),
        ("rooms", pa.int16()),
        ("land_area_m2", pa.float32()),
        ("outbuildings", pa.int16()),
        ("lots", pa.int16()),
        ("parcel_id", pa.string()),
        ("address_number", pa.string()),
        ("address_suffix", pa.string()),
        ("street", pa.string()),
        ("street_code", pa.string()),
        ("postcode", pa.string()),
        ("code_commune", pa.string()),
        ("commune_name", pa.string()),
        ("code_commune_stats", pa.string()),
        ("longitude", pa.float64()),
        ("latitude", pa.float64()),
        ("has_coordinates", pa.bool_()),
        ("price_per_m2", pa.float32()),
        ("is_outlier", pa.bool_()),
        ("outlier_reason", pa.string()),
    ]
)
# The partition key is the folder name, not a column of the files (see `read_sales`).
PARTITIONING = ds.partitioning(pa.schema([("departement", pa.string())]), flavor="hive")

MANIFEST = "manifest.json"
ADDRESS_COLUMNS = list(addresses.SALES_COLUMNS)


@dataclass(frozen=True)
class Prepared:
    """What one run of prepare built: how many sales, until when, the counts and rejections."""

    sales: int
    data_until: str | None
    counts: pd.DataFrame
    rejected: pd.DataFrame


# --- inputs and manifest -------------------------------------------------------------


def checksum_inputs(raw: Path) -> dict[str, str]:
    """sha256 of every file under raw/ (fetch's own manifest aside), by relative path."""
    sums = {}
    for folder, _, files in sorted(os.walk(raw, followlinks=True)):
        for name in sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(raw).as_posix()
            if relative == MANIFEST:
                continue  # fetch times change on every fetch; the files' checksums do not
            sums[relative] = sha256_of(path)
    return sums


def is_up_to_date(layout: Layout, inputs: dict[str, str]) -> bool:
    """True when the last run used the same inputs and versions and its outputs are there."""
    path = layout.prepared / MANIFEST
    if not path.is_file() or not (layout.prepared / "sales").is_dir():
        return False
    previous = json.loads(path.read_text())
    return (
        previous.get("inputs") == inputs
        and previous.get("schema_version") == SCHEMA_VERSION
        and previous.get("prepare_version") == PREPARE_VERSION
    )


def write_manifest(layout: Layout, inputs: dict[str, str], prepared: Prepared) -> None:
    """Record the inputs' checksums so that an unchanged re-run is a no-op."""
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "prepare_version": PREPARE_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "sales": prepared.sales,
        "data_until": prepared.data_until,
    }
    layout.prepared.mkdir(parents=True, exist_ok=True)
    write_atomic(layout.prepared / MANIFEST, json.dumps(manifest, indent=1))


# --- steps ---------------------------------------------------------------------------


def write_communes(layout: Layout) -> Path | None:
    """prepared/reference/communes.parquet from the communes file fetched (COG CSV or geo API)."""
    raw = read_communes(layout.raw)
    if raw is None:
        return None
    target = layout.reference / "communes.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(communes_table(build_communes(raw)), target)
    return target


def sales_schema(sales: pd.DataFrame) -> pa.Schema:
    """The stored schema: the fixed columns, then any `tq_*` feature columns as float32."""
    extra = [pa.field(c, pa.float32()) for c in sales.columns if c.startswith("tq_")]
    schema = pa.schema([*SALES_SCHEMA, *extra])
    return schema.with_metadata({"immoval.schema_version": SCHEMA_VERSION,
                                 "immoval.table": "sales"})  # fmt: skip


def partition_table(sales: pd.DataFrame) -> pa.Table:
    """One département's sales as stored: by date then mutation id, without `departement`."""
    part = sales.sort_values(["date", "mutation_id"]).drop(columns="departement")
    # Natures as plain strings: the file's dictionary lists them in order of appearance,
    # whichever natures the département's files happen to hold.
    part = part.assign(nature=part["nature"].astype("str"))
    return pa.Table.from_pandas(part, schema=sales_schema(sales), preserve_index=False)


def write_sales(sales: pd.DataFrame, layout: Layout) -> Path:
    """prepared/sales/departement=<dep>/part-0.parquet, replaced as a whole."""
    with Staging(layout) as staging:
        for dep, part in sales.groupby("departement", sort=True, observed=True):
            staging.write_partition(str(dep), partition_table(part))
        return staging.commit()


def write_cleaning_report(prepared: Prepared, layout: Layout) -> Path:
    """prepared/cleaning_report.json: rules, counts per département × year, rejected rows."""
    counts = prepared.counts.assign(
        departement=prepared.counts["departement"].astype(str),
        year=prepared.counts["year"].astype(int),
        rows=prepared.counts["rows"].astype(int),
        sales=prepared.counts["sales"].astype(int),
    ).sort_values(["rule", "departement", "year"])
    rejected = prepared.rejected.assign(source_line=prepared.rejected["source_line"].astype(int))
    report = {
        "schema_version": SCHEMA_VERSION,
        "rules": [vars(rule) for rule in cleaning.RULES],
        "counts": counts.loc[:, ["rule", "departement", "year", "rows", "sales"]].to_dict(
            "records"
        ),
        "rejected_rows": rejected.astype({"source_year": int}).to_dict("records"),
    }
    path = layout.prepared / "cleaning_report.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(report, indent=1, ensure_ascii=False))
    return path


def read_sales(layout: Layout | Path, departements: list[str] | None = None) -> pd.DataFrame:
    """The sales table, `departement` as a string column (not inferred from folder names)."""
    folder = layout.prepared / "sales" if isinstance(layout, Layout) else Path(layout)
    if not folder.is_dir():
        raise FileNotFoundError(f"no sales table at {folder}: run `immoval prepare` first")
    dataset = ds.dataset(folder, format="parquet", partitioning=PARTITIONING)
    where = ds.field("departement").isin(departements) if departements else None
    frame = dataset.to_table(filter=where).to_pandas()
    frame["departement"] = frame["departement"].astype("str")
    # Arrow has no nullable-int flag in pandas terms: without this, rooms with a gap is float.
    frame["rooms"] = frame["rooms"].astype("Int16")
    return frame.loc[:, [*SALES_COLUMNS, *(c for c in frame.columns if c.startswith("tq_"))]]


def in_file_order(frames: list[pd.DataFrame], sources: tuple[str, ...]) -> pd.DataFrame:
    """Rejections as the report lists them: by file (in `sources` order), then by line."""
    frame = pd.concat(frames, ignore_index=True).loc[:, list(REJECTED_COLUMNS)]
    rank = frame["source_file"].map({source: i for i, source in enumerate(sources)})
    order = np.lexsort((frame["source_line"].to_numpy(dtype="int64"), rank.to_numpy("int64")))
    return frame.iloc[order].reset_index(drop=True)


def collect(
    results: Iterator[DepartementResult],
    staging: Staging,
    plan: Plan,
    places: addresses.AddressIndex,
    progress: bool = False,
) -> Prepared:
    """Write each département's partition and its addresses as it comes, keep its counts."""
    counts, rejected, lines = [], [], []
    sales, last = 0, None
    total = len(plan.units) + (plan.stray is not None)
    for result in tqdm(results, desc="Preparing", unit="dep", total=total, disable=not progress):
        if len(result.sales):
            staging.write_partition(result.departement, partition_table(result.sales))
            places.add_sales(result.sales.loc[:, ADDRESS_COLUMNS])
            sales += len(result.sales)
            newest = result.sales["date"].max()
            last = newest if last is None else max(last, newest)
        counts.append(result.counts)
        rejected.append(result.rejected)
        lines.append(result.lines)
        del result  # before the next département is read: one at a time in memory
        release_memory()
    prepared = Prepared(
        sales=sales,
        data_until=str(last.date()) if last is not None else None,
        counts=pd.concat(counts, ignore_index=True),
        rejected=pd.concat(
            [in_file_order(rejected, plan.sources), in_file_order(lines, plan.sources)],
            ignore_index=True,
        ),
    )
    return prepared


def run_prepare(
    layout: Layout, force: bool = False, progress: bool = False, scheduler: str | None = None
) -> Prepared | None:
    """The whole step; None when the inputs have not changed since the last run.

    One département at a time (or one task per département on the Dask cluster at
    `scheduler`): memory follows the largest département, not France. Everything is
    written to a staging folder and moved in at the end: a failure leaves prepared/ as it was.
    """
    if not layout.raw.is_dir():
        raise PipelineError(f"{layout.raw} does not exist: run `immoval fetch` first")
    inputs = checksum_inputs(layout.raw)
    if not force and is_up_to_date(layout, inputs):
        return None
    with Staging(layout) as staging:
        staged = staging.layout  # prepared/ aside: raw/ as it is, a fresh prepared/
        try:
            plan = plan_departements(layout.raw, staging.spool)
            write_communes(staged)
            # reference/surroundings/: stations, coast, INSEE areas (sr_* added at training)
            build_surroundings(
                layout.raw,
                staged.reference / "surroundings",
                read_reference_communes(staged.reference),
            )
            # --- enrichment steps: references built once, features added per département ---
            reference_dir = staged.reference / "tranquillity"
            build_reference(layout.raw, reference_dir)  # adds tq_* in prepare_departement
            release_memory()
            results = prepared_departements(plan, reference_dir, scheduler)
            # reference/addresses.sqlite3 (the site's geocoder): BAN files, then each
            # département's sales as they come
            places = addresses.AddressIndex(staged)
            try:
                prepared = collect(results, staging, plan, places, progress)
            except BaseException:
                places.abort()
                raise
            places.finish()
        except DvfLayoutError as error:
            raise PipelineError(str(error)) from error
        # --- end of enrichment steps ---
        write_cleaning_report(prepared, staged)
        write_manifest(staged, inputs, prepared)
        staging.commit()
    return prepared
