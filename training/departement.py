"""One département of `immoval prepare`: its DVF rows -> its sales, counts and rejections.

A pure step (files in, tables out): it runs in the prepare process, or as one task on a
Dask worker. Everything it decides stays within the département: a mutation never spans
two, and outlier cells (commune × type × year, falling back to département × type × year)
are inside one; so preparing France one département at a time gives the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from model.tranquillity import Tranquillity
from training import cleaning
from training.dvf import REJECTED_COLUMNS, read_geo_dvf
from training.outliers import flag_outliers
from training.sales import single_home_sales, summarise_mutations
from training.tranquillity import add_features

# Lines that belong to no mutation (unsplittable, or without an id): counted as rows.
ORPHAN_REASONS = ("wrong_field_count", "missing_mutation_id")


@dataclass(frozen=True)
class DepartementInput:
    """What one département's task reads: its geo-DVF files and its raw DGFiP rows.

    Paths are absolute (a Dask worker must see the same files); `sources` name the files
    as the report does (their path under raw/). `raw_dgfip` holds the département's rows
    of each raw national file, split out by `training.partitions` (Parquet, file order).
    """

    departement: str
    geo_dvf: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    raw_dgfip: tuple[str, ...] = ()
    size: int = 0  # bytes of input, to start the largest départements first


@dataclass(frozen=True)
class DepartementResult:
    """A département prepared: its sales (outliers flagged, `tq_*` added), counts, rejections.

    `rejected` holds the malformed values of rows, `lines` the lines that could not be split
    into fields; the report lists the former, then the latter, each in file order.
    """

    departement: str
    sales: pd.DataFrame
    counts: pd.DataFrame
    rejected: pd.DataFrame
    lines: pd.DataFrame = field(default_factory=lambda: empty_rejected())


def empty_rejected() -> pd.DataFrame:
    """No rejection, in the report's columns."""
    return pd.DataFrame({c: pd.Series(dtype="str") for c in REJECTED_COLUMNS})


def sales_of_rows(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sales, per-mutation verdicts and malformed rows from the lot rows of one file."""
    typed, rejected = cleaning.parse_rows(rows)
    # Rows without a mutation id cannot be grouped with their sale: counted as lines.
    orphan = typed["id_mutation"].str.strip() == ""
    mutations = summarise_mutations(typed.loc[~orphan])
    mutations["rule"] = cleaning.exclusion_rule(mutations)
    sales = single_home_sales(typed, mutations.loc[mutations["rule"] == "kept"])
    return sales, mutations.loc[:, ["rule", "departement", "year", "rows"]], rejected


def covered_rows(rows: pd.DataFrame, years: set[int]) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Verdicts of the raw DGFiP rows of a year geo-DVF gives (None if none), and the others.

    geo-DVF is the same data, cleaner and geolocated: the raw rows of a département × year
    it covers would count every sale twice.
    """
    dup = rows["source_year"].isin(sorted(years))
    if not dup.any():
        return None, rows
    verdicts = (
        rows.loc[dup]
        .groupby("id_mutation")
        .agg(
            departement=("source_departement", "first"),
            year=("source_year", "first"),
            rows=("id_mutation", "size"),
        )  # fmt: skip
        .assign(rule="covered_by_geo_dvf")
    )
    return verdicts, rows.loc[~dup]


@lru_cache(maxsize=1)
def _tranquillity(reference_dir: str) -> Tranquillity:
    # Once per process: a Dask worker runs several départements with the same tables.
    return Tranquillity.load(reference_dir)


def prepare_departement(
    unit: DepartementInput, reference: str | Path | Tranquillity
) -> DepartementResult:
    """Read, clean, flag and enrich one département (`reference`: the tranquillity tables)."""
    sales, verdicts, rejected, lines = [], [], [], []
    covered: set[int] = set()
    for path, source in zip(unit.geo_dvf, unit.sources, strict=True):
        rows, bad = read_geo_dvf(Path(path), source=source)
        lines.append(bad)
        covered.update(rows["source_year"].unique().tolist())
        for part, found in zip((sales, verdicts, rejected), sales_of_rows(rows), strict=True):
            part.append(found)
    for spool in unit.raw_dgfip:
        duplicates, rows = covered_rows(pd.read_parquet(spool), covered)
        if duplicates is not None:
            verdicts.append(duplicates)
        for part, found in zip((sales, verdicts, rejected), sales_of_rows(rows), strict=True):
            part.append(found)
    lines_frame = pd.concat(lines, ignore_index=True) if lines else empty_rejected()
    every = pd.concat([*rejected, *lines], ignore_index=True)
    orphans = every.loc[every["reason"].isin(ORPHAN_REASONS)]
    counts = cleaning.count_rules(pd.concat(verdicts), orphans)
    table = pd.concat(sales, ignore_index=True)
    if len(table):
        table = flag_outliers(table)
        if not isinstance(reference, Tranquillity):
            reference = _tranquillity(str(reference))
        table = add_features(table, reference)
        counts = pd.concat([counts, cleaning.count_flags(table)], ignore_index=True)
    return DepartementResult(
        unit.departement,
        table,
        counts,
        pd.concat(rejected, ignore_index=True).loc[:, list(REJECTED_COLUMNS)],
        lines_frame.loc[:, list(REJECTED_COLUMNS)],
    )


def stray_lines(lines: pd.DataFrame) -> DepartementResult:
    """Lines of raw national files that could not be split: of no known département."""
    verdicts = pd.DataFrame(columns=["rule", "departement", "year", "rows"])
    counts = cleaning.count_rules(verdicts, lines)
    return DepartementResult("", pd.DataFrame(), counts, empty_rejected(), lines)
