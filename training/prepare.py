"""`immoval prepare`'s core: raw DVF files -> the sales table, the cleaning report, references.

A sequence of steps, each a function; enrichment steps (tranquillity features, address
index) are one-line additions at the marked place in `run_prepare`.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from tqdm import tqdm

from model.settings import Layout
from training import cleaning
from training.addresses import write_addresses
from training.communes import build_communes, communes_table, read_communes
from training.dvf import REJECTED_COLUMNS, DvfLayoutError, read_geo_dvf, read_raw_dgfip
from training.errors import PipelineError
from training.fetch.manifest import sha256_of, write_atomic
from training.outliers import flag_outliers
from training.sales import SALES_COLUMNS, single_home_sales, summarise_mutations
from training.tranquillity import prepare_tranquillity

# Bump when the sales table's columns or their meaning change (see docs/ARCHITECTURE.md).
SCHEMA_VERSION = "1"
# Bump when prepare's rules change, so that unchanged inputs are prepared again.
PREPARE_VERSION = "2"  # 2: address index keys unknown départements as "" (was "na")

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

GEO_DVF_GLOB = "geo-dvf/**/departements/*.csv.gz"
RAW_DGFIP_GLOB = "dvf-brut/*.txt"
MANIFEST = "manifest.json"
ORPHAN_REASONS = ("wrong_field_count", "missing_mutation_id")


@dataclass(frozen=True)
class Prepared:
    """What one run of prepare built."""

    sales: pd.DataFrame
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
        "sales": int(len(prepared.sales)),
        "data_until": str(prepared.sales["date"].max().date()) if len(prepared.sales) else None,
    }
    layout.prepared.mkdir(parents=True, exist_ok=True)
    write_atomic(layout.prepared / MANIFEST, json.dumps(manifest, indent=1))


# --- steps ---------------------------------------------------------------------------


def dvf_files(raw: Path) -> list[tuple[str, Path]]:
    """The DVF files in raw/: ("geo-dvf" | "raw-dgfip", path), geo-DVF first."""
    geo = sorted(raw.glob(GEO_DVF_GLOB))
    brut = sorted(raw.glob(RAW_DGFIP_GLOB))
    return [("geo-dvf", p) for p in geo] + [("raw-dgfip", p) for p in brut]


def read_dvf_file(kind: str, path: Path, raw: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lot rows (strings) and rejected lines of one file, named by its path under raw/."""
    source = path.relative_to(raw).as_posix()
    reader = read_geo_dvf if kind == "geo-dvf" else read_raw_dgfip
    return reader(path, source=source)


def sales_of_rows(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sales, per-mutation verdicts and malformed rows from the lot rows of one file."""
    typed, rejected = cleaning.parse_rows(rows)
    # Rows without a mutation id cannot be grouped with their sale: counted as lines.
    orphan = typed["id_mutation"].str.strip() == ""
    mutations = summarise_mutations(typed.loc[~orphan])
    mutations["rule"] = cleaning.exclusion_rule(mutations)
    sales = single_home_sales(typed, mutations.loc[mutations["rule"] == "kept"])
    return sales, mutations.loc[:, ["rule", "departement", "year", "rows"]], rejected


def build_sales(raw: Path, progress: bool = False) -> Prepared:
    """Read every DVF file under raw/ and build the cleaned sales, counts and rejections."""
    sales, verdicts, rejected, bad_lines = [], [], [], []
    covered: set[tuple[str, int]] = set()
    files = dvf_files(raw)
    if not files:
        raise PipelineError(f"no DVF file under {raw} (expected {GEO_DVF_GLOB})")
    for kind, path in tqdm(files, desc="Reading DVF", unit="file", disable=not progress):
        rows, lines = read_dvf_file(kind, path, raw)
        bad_lines.append(lines)
        if kind == "geo-dvf":
            pairs = rows[["source_departement", "source_year"]].drop_duplicates()
            covered.update(zip(pairs["source_departement"], pairs["source_year"], strict=True))
        else:
            # geo-DVF is the same data, cleaner and geolocated: the raw rows of a
            # département × year it covers would count every sale twice.
            dup = pd.Series(False, index=rows.index)
            for year in {year for _, year in covered}:
                deps = [dep for dep, covered_year in covered if covered_year == year]
                dup |= (rows["source_year"] == year) & rows["source_departement"].isin(deps)
            if dup.any():
                verdicts.append(
                    rows.loc[dup]
                    .groupby("id_mutation")
                    .agg(
                        departement=("source_departement", "first"),
                        year=("source_year", "first"),
                        rows=("id_mutation", "size"),
                    )  # fmt: skip
                    .assign(rule="covered_by_geo_dvf")
                )
                rows = rows.loc[~dup]
        file_sales, file_verdicts, file_rejected = sales_of_rows(rows)
        sales.append(file_sales)
        verdicts.append(file_verdicts)
        rejected.append(file_rejected)
    all_lines = pd.concat(bad_lines, ignore_index=True)
    all_rejected = pd.concat([*rejected, all_lines], ignore_index=True)
    all_rejected = all_rejected.loc[:, list(REJECTED_COLUMNS)]
    # Lines that belong to no mutation (unsplittable, or without an id) are counted as rows.
    orphans = all_rejected.loc[all_rejected["reason"].isin(ORPHAN_REASONS)]
    counts = cleaning.count_rules(pd.concat(verdicts), orphans)
    all_sales = pd.concat(sales, ignore_index=True)
    return Prepared(all_sales, counts, all_rejected)


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


def write_sales(sales: pd.DataFrame, layout: Layout) -> Path:
    """prepared/sales/departement=<dep>/part-0.parquet, replaced as a whole."""
    target = layout.prepared / "sales"
    staging = layout.prepared / f".sales-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)  # even with no sale, so that the swap below has a folder
    schema = sales_schema(sales)
    for dep, part in sales.groupby("departement", sort=True, observed=True):
        folder = staging / f"departement={dep}"
        folder.mkdir()
        part = part.sort_values(["date", "mutation_id"]).drop(columns="departement")
        table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
        pq.write_table(table, folder / "part-0.parquet", compression="zstd")
    # Swap whole folders so a reader never sees half a table.
    old = layout.prepared / f".sales-old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


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


def run_prepare(layout: Layout, force: bool = False, progress: bool = False) -> Prepared | None:
    """The whole step; None when the inputs have not changed since the last run."""
    if not layout.raw.is_dir():
        raise PipelineError(f"{layout.raw} does not exist: run `immoval fetch` first")
    inputs = checksum_inputs(layout.raw)
    if not force and is_up_to_date(layout, inputs):
        return None
    try:
        prepared = build_sales(layout.raw, progress=progress)
    except DvfLayoutError as error:
        raise PipelineError(str(error)) from error
    sales = flag_outliers(prepared.sales)
    write_communes(layout)
    # --- enrichment steps: each adds columns to `sales` or writes into layout.reference ---
    sales = prepare_tranquillity(sales, layout)  # writes reference/tranquillity/, adds tq_*
    write_addresses(sales, layout)  # writes reference/addresses.parquet (site's geocoder)
    # --- end of enrichment steps ---
    counts = pd.concat([prepared.counts, cleaning.count_flags(sales)], ignore_index=True)
    prepared = Prepared(sales, counts, prepared.rejected)
    write_sales(prepared.sales, layout)
    write_cleaning_report(prepared, layout)
    write_manifest(layout, inputs, prepared)
    return prepared
