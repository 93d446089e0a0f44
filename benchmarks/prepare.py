"""Wall time and peak memory of `immoval prepare`: median of N runs, here and on a LocalCluster.

Usage: .venv/bin/python benchmarks/prepare.py [--data ../shared/data] [--runs 3] [--cluster 2]
`--data` is the folder used as raw/: a mirror, or the raw/ of a fetched home, e.g.
    IMMOVAL_SOURCE=../shared/data .venv/bin/immoval --home /tmp/h5home fetch \\
        --departements 28,34,59,75,76
    .venv/bin/python benchmarks/prepare.py --data /tmp/h5home/raw --runs 5 --cluster 2
Peak RSS is the whole prepare process's (ru_maxrss); with `--cluster N` the benchmark also
starts a dask LocalCluster of N worker processes (one thread each), runs prepare against it
and reports each worker's peak too (workers are restarted between runs).
Prepare goes one département at a time: its peak follows the largest département.
Target (issue 3): ≤ 30 s and ≤ 3 GB on 2 cores for the four départements of the mirror.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu: float  # of the prepare process (and, on a cluster, of its workers)
    peak_mib: float  # of the prepare process
    worker_peak_mib: float = 0.0  # the largest worker's, on a cluster


def run_once(home: Path, scheduler: str | None = None) -> Run:
    """One forced prepare in a child process: wall, CPU and peak RSS."""
    immoval = Path(sys.executable).parent / "immoval"  # the console script of this venv
    command = [str(immoval), "--home", str(home), "prepare", "--force"]
    if scheduler:
        command += ["--scheduler", scheduler]
    # stderr to a file, not a pipe: nobody reads a pipe during wait4, and the progress bar
    # would fill it and block the child.
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"prepare failed:\n{errors.read().decode()}")
    # CPU time is less disturbed than wall time when other jobs share the cores.
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)  # kB on Linux


def _worker_usage() -> tuple[float, float]:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_on_cluster(home: Path, client, address: str) -> Run:
    """One forced prepare against the cluster at `address` (`client`'s), workers fresh."""
    client.restart()  # new worker processes: their peaks and CPU start from nothing
    run = run_once(home, address)
    usage = client.run(_worker_usage).values()
    return Run(run.seconds, run.cpu + sum(c for c, _ in usage), run.peak_mib,
               max(m for _, m in usage))  # fmt: skip


def summary(label: str, runs: list[Run]) -> None:
    def line(name: str, values: list[float], unit: str, digits: int) -> None:
        each = ", ".join(f"{v:.{digits}f}" for v in values)
        print(f"  {name:<18}median {statistics.median(values):.{digits}f} {unit} "
              f"(max {max(values):.{digits}f}; runs: {each})")  # fmt: skip

    print(label)
    line("wall time:", [r.seconds for r in runs], "s", 1)
    line("CPU time:", [r.cpu for r in runs], "s", 1)
    line("peak RSS:", [r.peak_mib for r in runs], "MiB", 0)
    if any(r.worker_peak_mib for r in runs):
        line("worker peak RSS:", [r.worker_peak_mib for r in runs], "MiB", 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cluster", type=int, default=0, metavar="WORKERS",
                        help="also run on a dask LocalCluster of this many workers")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="immoval-bench-") as tmp:
        home = Path(tmp)
        (home / "raw").symlink_to(args.data.resolve())
        local = [run_once(home) for _ in range(args.runs)]
        manifest = json.loads((home / "prepared" / "manifest.json").read_text())
        clustered = []
        if args.cluster:
            from dask.distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=args.cluster,
                    processes=True,
                    threads_per_worker=1,
                    dashboard_address=None,
                ) as cluster,  # fmt: skip
                Client(cluster) as client,
            ):
                address = cluster.scheduler_address
                clustered = [run_on_cluster(home, client, address) for _ in range(args.runs)]
    print(f"prepare on {args.data} ({args.runs} runs, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    summary("here, one département at a time:", local)
    if clustered:
        summary(f"on a LocalCluster of {args.cluster} workers (1 thread each):", clustered)
    print(f"  {manifest['sales']} sales written, data until {manifest['data_until']}")


if __name__ == "__main__":
    main()
