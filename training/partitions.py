"""`immoval prepare` one département at a time: which files each reads, and running them.

geo-DVF already comes one file per département × year. DGFiP's raw national files hold
every département in one file: each is read once, its rows (mapped to the geo-DVF
columns, mutation ids numbered on the whole file) are split by département into spool
files, and its unsplittable lines, of no known département, are counted on their own.
It is read block by block: memory holds a block of it, never France.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model.tranquillity import Tranquillity
from training.departement import (
    DepartementInput,
    DepartementResult,
    prepare_departement,
    stray_lines,
)
from training.dvf import RawDgfipFile, geo_dvf_departement_year
from training.errors import PipelineError

GEO_DVF_GLOB = "geo-dvf/**/departements/*.csv.gz"
RAW_DGFIP_GLOB = "dvf-brut/*.txt"


@dataclass(frozen=True)
class Plan:
    """The départements to prepare, the raw lines of none, and every DVF file read."""

    units: tuple[DepartementInput, ...]
    stray: DepartementResult | None
    # Every DVF file under raw/, in the order the cleaning report lists their rejections.
    sources: tuple[str, ...]


def dvf_files(raw: Path) -> list[tuple[str, Path]]:
    """The DVF files in raw/: ("geo-dvf" | "raw-dgfip", path), geo-DVF first."""
    geo = sorted(raw.glob(GEO_DVF_GLOB))
    brut = sorted(raw.glob(RAW_DGFIP_GLOB))
    return [("geo-dvf", p) for p in geo] + [("raw-dgfip", p) for p in brut]


def split_raw_dgfip(
    paths: list[Path], raw: Path, spool: Path
) -> tuple[dict[str, list[Path]], list[pd.DataFrame]]:
    """Each raw national file's rows, one spool file per département; the unsplittable lines."""
    spools: dict[str, list[Path]] = defaultdict(list)
    lines = []
    for rank, path in enumerate(paths):
        spool.mkdir(parents=True, exist_ok=True)
        national = RawDgfipFile(path, source=path.relative_to(raw).as_posix())
        writers: dict[str, pq.ParquetWriter] = {}
        try:
            for rows in national.batches():
                for dep, part in rows.groupby("source_departement", sort=True):
                    table = pa.Table.from_pandas(part, preserve_index=False)
                    if dep not in writers:
                        # "" names rows without a département: reported like any other.
                        target = spool / f"{rank}-{dep or 'none'}.parquet"
                        writers[dep] = pq.ParquetWriter(target, table.schema)
                        spools[str(dep)].append(target.absolute())
                    writers[dep].write_table(table)
        finally:
            for writer in writers.values():
                writer.close()
        lines.append(national.rejected())
    return spools, lines


def plan_departements(raw: Path, spool: Path) -> Plan:
    """One input per département found under raw/ (geo-DVF files, raw DGFiP rows)."""
    files = dvf_files(raw)
    if not files:
        raise PipelineError(f"no DVF file under {raw} (expected {GEO_DVF_GLOB})")
    geo: dict[str, list[Path]] = defaultdict(list)
    for kind, path in files:
        if kind == "geo-dvf":
            geo[geo_dvf_departement_year(path)[0]].append(path)
    brut = [path for kind, path in files if kind == "raw-dgfip"]
    spools, lines = split_raw_dgfip(brut, raw, spool)
    units = []
    for dep in sorted({*geo, *spools}):
        paths, rows = geo.get(dep, []), spools.get(dep, [])
        units.append(
            DepartementInput(
                departement=dep,
                # Absolute: a Dask worker may not share the prepare process's directory.
                geo_dvf=tuple(str(p.absolute()) for p in paths),
                sources=tuple(p.relative_to(raw).as_posix() for p in paths),
                raw_dgfip=tuple(str(p) for p in rows),
                size=sum(p.stat().st_size for p in [*paths, *rows]),
            )
        )
    bad = [frame for frame in lines if len(frame)]
    stray = stray_lines(pd.concat(bad, ignore_index=True)) if bad else None
    sources = tuple(path.relative_to(raw).as_posix() for _, path in files)
    return Plan(tuple(units), stray, sources)


def release_memory() -> None:
    """Give back what Arrow's allocator keeps after a step (it would hold it for reuse)."""
    pa.default_memory_pool().release_unused()


def prepared_departements(
    plan: Plan, reference_dir: Path, scheduler: str | None = None
) -> Iterator[DepartementResult]:
    """Each département prepared, here or on the Dask cluster at `scheduler`, in any order."""
    if scheduler:
        from training.dask_cluster import prepare_on_cluster  # dask only when asked for

        yield from prepare_on_cluster(scheduler, plan.units, reference_dir)
    else:
        tranquillity = Tranquillity.load(reference_dir)  # once for every département
        for unit in plan.units:
            yield prepare_departement(unit, tranquillity)
    if plan.stray is not None:
        yield plan.stray
