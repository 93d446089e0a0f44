"""Growth of time and memory with the number of sales: a SIMULATION, never a measure of accuracy.

    .venv/bin/python benchmarks/scale.py --work /tmp/immoval-scale [--sizes 1,2,4,8]
        [--n-estimators 300] [--keep]

Size ×k is the real shared sales of 34, 59, 75 and 76 (``../shared/data`` or
IMMOVAL_TEST_DATA) plus k − 1 copies of them under other départements that DVF
publishes: each copy's communes are mapped, by population rank, onto real communes of
its target département (codes, names, postcodes, parcel ids), its coordinates moved by
the difference of the two départements' centroids and its mutation ids prefixed with
the copy number. The copies are the same homes at the same prices: a model trained on
them says nothing about accuracy, only about time and memory.

For each size, in a fresh home (other raw folders symlinked from the mirror):
`immoval prepare` and `immoval train` as children (wall time, peak RSS), the sales count
and the bundle size on disk; then gunicorn as in the Procfile with WEB_CONCURRENCY=2:
start time until /api/v1/health answers, RSS and PSS of the master and of each worker
(``/proc/<pid>/smaps_rollup``, after a warm-up), the p50 of single estimates sent one
after the other through the API, and what a model switch adds: the champion moved to a
copy of the bundle (a new version, new files), every worker serving it, warmed up again,
then the whole gunicorn's PSS. Prints a table, the growth exponent b of each figure
(figure ∝ sales^b on log-log) and its projection to 4.5 M sales against the targets.

Figures of every size are kept in ``<work>/results.json`` (per n-estimators), so that a
later run with ``--sizes 4`` completes the fit. Homes and copies are removed unless
``--keep``. Other jobs sharing the cores lengthen wall times: compare CPU-bound figures
on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from training.settings import N_ESTIMATORS  # noqa: E402

SOURCES = ("34", "59", "75", "76")
YEARS = ("2020", "2021", "2022", "2023", "2024")
OTHER_RAW = ("ssmsi", "cameras", "communes", "ban")  # as tests/conftest.py::model_home
COMMUNES = "communes/communes-cog2024-population2021.csv"
FRANCE_SALES = 4_500_000
GIB = 1024**3
# Target département pools exclude the source set, 28 (partial in the mirror: its own
# layout) and overseas (far from any neighbour a border halo would take).
EXCLUDED = {*SOURCES, "28"}
MAX_COPIES = 7  # ×8: the plan is drawn for it whatever the sizes, so copies are stable


# --- the replication: pure functions -----------------------------------------------------


def commune_table(communes: pd.DataFrame) -> pd.DataFrame:
    """Communes DVF names sales in: arrondissements instead of their parent (Paris, Lyon,
    Marseille), with département, name, postcode, centroid and population."""
    parents = set(communes["insee_parente"].dropna().astype(str)) - {""}
    table = communes[~communes["insee_com"].astype(str).isin(parents)]
    return pd.DataFrame(
        {
            "code": table["insee_com"].astype(str),
            "departement": table["insee_dep"].astype(str),
            "name": table["commune"].astype(str),
            "postcode": table["code_postal"].fillna("").astype(str).str.zfill(5),
            "lat": table["lat"].astype(float),
            "lng": table["lng"].astype(float),
            "population": table["population_2021"].fillna(0).astype(float),
        }
    ).reset_index(drop=True)


def centroids(table: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Centroid (lat, lng) of each département: the mean of its communes' centroids."""
    means = table.groupby("departement")[["lat", "lng"]].mean()
    return {dep: (row.lat, row.lng) for dep, row in means.iterrows()}


def by_rank(table: pd.DataFrame, departement: str) -> pd.DataFrame:
    """The communes of a département, most populous first (code breaks ties)."""
    rows = table[table["departement"] == departement]
    return rows.sort_values(["population", "code"], ascending=[False, True])


def targets(table: pd.DataFrame, candidates, copies: int) -> dict[tuple[int, str], str]:
    """(copy, source) → target département: the sources with most communes get the targets
    with most communes, so that few communes share a target; the same for every size."""
    counts = table["departement"].value_counts()
    pool = [d for d in counts.index if d in set(candidates) and d not in EXCLUDED]
    pool = [d for d in pool if not d.startswith("97")]
    sources = sorted(SOURCES, key=lambda d: -counts.get(d, 0))
    if len(pool) < copies * len(sources):
        raise SystemExit(f"only {len(pool)} target départements for {copies} copies")
    return {
        (copy, source): pool[i * copies + copy - 1]
        for i, source in enumerate(sources)
        for copy in range(1, copies + 1)
    }


def commune_map(table: pd.DataFrame, source: str, target: str) -> dict[str, int]:
    """Source commune code → row of the target's communes, by population rank (wrapping
    when the target has fewer communes)."""
    source_codes = by_rank(table, source)["code"].tolist()
    size = len(by_rank(table, target))
    return {code: rank % size for rank, code in enumerate(source_codes)}


def replicate(
    rows: pd.DataFrame,
    copy: int,
    target: str,
    table: pd.DataFrame,
    shift: tuple[float, float],
) -> pd.DataFrame:
    """Rows of one geo-DVF file (all text) moved to `target`: codes, names, ids, coordinates."""
    communes = by_rank(table, target).reset_index(drop=True)
    source = rows["code_departement"].iloc[0] if len(rows) else target
    ranks = commune_map(table, source, target)
    old = rows["code_commune"].astype(str)
    # Codes unknown to COG 2024 (communes merged since) still map consistently.
    index = old.map(lambda c: ranks.get(c, zlib.crc32(c.encode()) % len(communes)))
    picked = communes.iloc[index.to_numpy()]
    out = rows.copy()
    out["code_departement"] = target
    out["code_commune"] = picked["code"].to_numpy()
    out["nom_commune"] = picked["name"].to_numpy()
    out["code_postal"] = picked["postcode"].to_numpy()
    out["id_mutation"] = f"{copy}-" + rows["id_mutation"].astype(str)
    parcel = rows["id_parcelle"].fillna("").astype(str)
    out["id_parcelle"] = np.where(parcel.str.len() >= 5, out["code_commune"] + parcel.str[5:], "")
    for column in ("ancien_code_commune", "ancien_nom_commune", "ancien_id_parcelle"):
        if column in out:
            out[column] = ""
    for column, delta in (("latitude", shift[0]), ("longitude", shift[1])):
        values = pd.to_numeric(rows[column], errors="coerce") + delta
        out[column] = values.map(lambda v: "" if math.isnan(v) else f"{v:.6f}")
    return out


# --- the homes -----------------------------------------------------------------------------


def dvf_file(root: Path, year: str, dep: str) -> Path:
    return root / "geo-dvf" / "latest" / "csv" / year / "departements" / f"{dep}.csv.gz"


def write_copy(data: Path, copies_dir: Path, copy: int, plan: dict, table, shifts) -> None:
    """Write the files of one copy once; later sizes reuse them."""
    for source in SOURCES:
        target = plan[(copy, source)]
        for year in YEARS:
            path = dvf_file(data, year, source)
            out = dvf_file(copies_dir / str(copy), year, target)
            if not path.is_file() or out.is_file():
                continue
            rows = pd.read_csv(path, dtype=str, keep_default_na=False)
            moved = replicate(rows, copy, target, table, shifts[(source, target)])
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_suffix(".partial")
            moved.to_csv(partial, index=False, compression={"method": "gzip", "compresslevel": 1})
            partial.rename(out)


def make_home(home: Path, data: Path, copies_dir: Path, size: int, plan: dict) -> None:
    """A fresh home: the real files of the sources, the copies 1..size-1, other raw folders."""
    raw = home / "raw"
    links = [(dvf_file(raw, y, s), dvf_file(data, y, s)) for y in YEARS for s in SOURCES]
    links += [
        (dvf_file(raw, y, plan[(c, s)]), dvf_file(copies_dir / str(c), y, plan[(c, s)]))
        for c in range(1, size)
        for y in YEARS
        for s in SOURCES
    ]
    for link, target in links:
        if target.is_file():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target)
    for folder in OTHER_RAW:
        (raw / folder).symlink_to(data / folder, target_is_directory=True)


# --- the measures --------------------------------------------------------------------------


@dataclass
class Figures:
    size: int
    sales: int
    prepare_s: float
    prepare_peak_gib: float
    train_s: float
    train_peak_gib: float
    bundle_mib: float
    start_s: float
    worker_rss_mib: list[float]
    workers_pss_mib: float
    master_pss_mib: float
    p50_ms: float
    # The whole gunicorn after the champion moved to a copy of the bundle (None: not measured).
    switched_pss_mib: float | None = None

    @property
    def serving_pss_mib(self) -> float:
        """The whole gunicorn: the master holds its share of the preloaded pages too."""
        return self.workers_pss_mib + self.master_pss_mib

    @property
    def switch_mib(self) -> float | None:
        """What a model switch adds to the whole gunicorn's PSS."""
        if self.switched_pss_mib is None:
            return None
        return self.switched_pss_mib - self.serving_pss_mib


def measured(command: list[str], log: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of one child (stderr to a file: nobody reads a pipe)."""
    with open(log, "wb") as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=errors, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed, see {log}:\n{log.read_text()[-3000:]}")
    return seconds, usage.ru_maxrss * 1024 / GIB  # kB on Linux


def sales_count(home: Path) -> int:
    import pyarrow.parquet as pq

    files = (home / "prepared" / "sales").rglob("*.parquet")
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def disk_mib(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def memory_mib(pid: int) -> tuple[float, float]:
    """RSS and PSS of one process, from /proc/<pid>/smaps_rollup."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def copy_version(home: Path) -> str:
    """A new version with the champion's content (new files: new pages to map)."""
    from model.registry import read_champion

    models = home / "models"
    old = str(read_champion(models))
    new = f"{old}-switch"
    shutil.copytree(models / old, models / new)
    meta = models / new / "metadata.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "version": new}))
    return new


def served_everywhere(port: int, version: str, timeout: float = 180.0) -> None:
    """Wait until three rounds of health checks (fresh connections, so that every worker
    answers some and looks at the pointer) all name `version`."""
    import urllib.request

    deadline, rounds = time.monotonic() + timeout, 0
    while rounds < 3:
        if time.monotonic() > deadline:
            raise SystemExit(f"the workers did not switch to {version} within {timeout:.0f} s")
        answers = set()
        for _ in range(20):
            url = f"http://127.0.0.1:{port}/api/v1/health"
            with urllib.request.urlopen(url, timeout=10) as r:
                answers.add(json.loads(r.read())["model_version"])
        rounds = rounds + 1 if answers == {version} else 0
        time.sleep(0.5)


def serving(home: Path, work: Path) -> tuple[float, list[float], float, float, float, float]:
    """Start time, worker RSS, workers' and master's PSS, single-estimate p50 (ms), and the
    whole gunicorn's PSS after a model switch."""
    from api import Connection, free_port, properties, sample_places, start_server

    from app import apikeys
    from app.db import Database

    database_url = f"sqlite:///{work}/bench.sqlite3"
    _, key = apikeys.create_key(Database(database_url), "scale", rate_limit=10_000_000)
    bodies = [json.dumps(p).encode() for p in properties(sample_places(home, 400))]
    port = free_port()
    started = time.perf_counter()
    server = start_server(home.resolve(), port, database_url, workers=2)
    start_s = time.perf_counter() - started
    try:
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

        async def one_by_one(count: int, offset: int) -> list[float]:
            conn, times = Connection(port), []
            for i in range(count):
                body = bodies[(offset + i) % len(bodies)]
                began = time.perf_counter()
                await conn.request("POST", "/api/v1/estimates", auth, body)
                times.append(time.perf_counter() - began)
            return times

        async def warm_up() -> None:  # both workers: several connections at once
            await asyncio.gather(*(one_by_one(25, 50 * i) for i in range(4)))

        asyncio.run(warm_up())
        p50 = 1000 * statistics.median(asyncio.run(one_by_one(300, 100)))
        workers = [memory_mib(pid) for pid in workers_of(server.pid)]
        master = memory_mib(server.pid)
        from model.registry import promote

        version = copy_version(home)
        promote(home / "models", version, force=True)
        served_everywhere(port, version)
        asyncio.run(warm_up())
        switched = sum(memory_mib(pid)[1] for pid in [server.pid, *workers_of(server.pid)])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    rss = [rss for rss, _ in workers]
    return start_s, rss, sum(p for _, p in workers), master[1], p50, switched


def run_size(size: int, data: Path, work: Path, plan, table, shifts, args) -> Figures:
    copies_dir = work / "copies"
    for copy in range(1, size):
        print(f"×{size}: writing copy {copy} ({', '.join(plan[(copy, s)] for s in SOURCES)})")
        write_copy(data, copies_dir, copy, plan, table, shifts)
    home = work / f"home-x{size}"
    if home.exists():
        shutil.rmtree(home)
    make_home(home, data, copies_dir, size, plan)
    immoval = [str(Path(sys.executable).parent / "immoval"), "--home", str(home)]
    print(f"×{size}: prepare")
    prepare_s, prepare_peak = measured([*immoval, "prepare"], work / f"prepare-x{size}.log")
    sales = sales_count(home)
    print(f"×{size}: {sales} sales in {prepare_s:.0f} s; train")
    train = [*immoval, "train", "--n-estimators", str(args.n_estimators)]
    train_s, train_peak = measured(train, work / f"train-x{size}.log")
    from model.registry import read_champion

    bundle = disk_mib(home / "models" / str(read_champion(home / "models")))
    print(f"×{size}: trained in {train_s:.0f} s; serve")
    start_s, rss, workers_pss, master_pss, p50, switched = serving(home, work)
    if not args.keep:
        shutil.rmtree(home)
    return Figures(
        size, sales, prepare_s, prepare_peak, train_s, train_peak, bundle, start_s,
        rss, workers_pss, master_pss, p50, switched,
    )  # fmt: skip


# --- the report ----------------------------------------------------------------------------


def growth(sales: list[int], values: list[float]) -> tuple[float, float]:
    """Exponent b of value ∝ sales^b (least squares on log-log) and the value at 4.5 M sales."""
    b, a = np.polyfit(np.log(sales), np.log(values), 1)
    return float(b), float(math.exp(a) * FRANCE_SALES**b)


def gib_of_mib(value: float) -> str:
    return f"{value / 1024:.1f} GiB"


def report(results: list[Figures]) -> str:
    lines = [
        "| size | sales | prepare | prepare peak | train + evaluate | train peak | bundle "
        "| serve start | RSS per worker | PSS 2 workers | PSS master | p50 estimate "
        "| a switch adds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in results:
        switch = "—" if f.switch_mib is None else f"{f.switch_mib:+.0f} MiB"
        lines.append(
            f"| ×{f.size} | {f.sales:,} | {f.prepare_s:.0f} s | {f.prepare_peak_gib:.2f} GiB "
            f"| {f.train_s:.0f} s | {f.train_peak_gib:.2f} GiB | {f.bundle_mib:.0f} MiB "
            f"| {f.start_s:.1f} s | {' / '.join(f'{r:.0f}' for r in f.worker_rss_mib)} MiB "
            f"| {f.workers_pss_mib:.0f} MiB | {f.master_pss_mib:.0f} MiB | {f.p50_ms:.1f} ms "
            f"| {switch} |"
        )
    if len({f.sales for f in results}) < 2:
        return "\n".join(lines + ["", "(one size: no growth exponent)"])
    base_p50 = results[0].p50_ms
    figures = (
        ("prepare", "prepare_s", lambda v: f"{v / 60:.1f} min", 15 * 60, "≤ 15 min"),
        ("train + evaluate", "train_s", lambda v: f"{v / 60:.0f} min", 90 * 60, "≤ 90 min"),
        ("peak (prepare)", "prepare_peak_gib", "{:.1f} GiB".format, 12, "≤ 12 GiB"),
        ("peak (train)", "train_peak_gib", "{:.1f} GiB".format, 12, "≤ 12 GiB"),
        ("bundle on disk", "bundle_mib", gib_of_mib, None, "—"),
        ("serve start", "start_s", "{:.0f} s".format, 30, "≤ 30 s"),
        ("PSS 2 workers", "workers_pss_mib", gib_of_mib, 4096, "≤ 4 GiB"),
        ("PSS master + 2 workers", "serving_pss_mib", gib_of_mib, 4096, "≤ 4 GiB"),
        (
            "p50 single estimate",
            "p50_ms",
            "{:.1f} ms".format,
            1.2 * base_p50,
            f"≤ {1.2 * base_p50:.1f} ms (×1 + 20 %)",
        ),
    )
    if all(f.switched_pss_mib is not None for f in results):
        figures += (("PSS after a switch", "switched_pss_mib", gib_of_mib, 4096, "≤ 4 GiB"),)
    sales = [f.sales for f in results]
    lines += [
        "",
        f"Projection to {FRANCE_SALES:,} sales (fit on {len(results)} sizes):",
        "",
        "| figure | exponent b | at 4.5 M sales | target | verdict |",
        "|---|---|---|---|---|",
    ]
    for name, attr, fmt, limit, target in figures:
        b, projected = growth(sales, [getattr(f, attr) for f in results])
        verdict = "—" if limit is None else ("meets" if projected <= limit else "MISSES")
        lines.append(f"| {name} | {b:.2f} | {fmt(projected)} | {target} | {verdict} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,2,4,8", help="copies, comma-separated")
    parser.add_argument("--work", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--n-estimators", type=int, default=N_ESTIMATORS, help="as `immoval train`")
    parser.add_argument("--keep", action="store_true", help="keep homes and copies")
    parser.add_argument(
        "--report", action="store_true", help="only print the figures in <work>/results.json"
    )
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    data = Path(os.environ.get("IMMOVAL_TEST_DATA") or ROOT.parent / "shared" / "data").resolve()
    work = (args.work or Path(tempfile.mkdtemp(prefix="immoval-scale-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # this process's estimator, as gunicorn

    from model.geography import DVF_DEPARTEMENTS

    table = commune_table(pd.read_csv(data / COMMUNES, dtype=str))
    centres = centroids(table)
    plan = targets(table, DVF_DEPARTEMENTS, max(MAX_COPIES, max(sizes) - 1))
    shifts = {
        (s, t): (centres[t][0] - centres[s][0], centres[t][1] - centres[s][1])
        for (_, s), t in plan.items()
    }
    store = work / "results.json"
    saved = json.loads(store.read_text()) if store.is_file() else {}
    runs = saved.setdefault(str(args.n_estimators), {})
    print(f"SIMULATION for time and memory only; work in {work}; load {os.getloadavg()[0]:.1f}")
    try:
        for size in [] if args.report else sizes:
            figures = run_size(size, data, work, plan, table, shifts, args)
            runs[str(size)] = asdict(figures)
            store.write_text(json.dumps(saved, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(work / "copies", ignore_errors=True)
    results = [Figures(**runs[k]) for k in sorted(runs, key=int)]
    print(f"\n--n-estimators {args.n_estimators}, {os.cpu_count()} cores:\n")
    print(report(results))


if __name__ == "__main__":
    main()
