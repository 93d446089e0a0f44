"""Wall time and peak memory of `immoval prepare` on the data mirror: median of N runs.

Usage: .venv/bin/python benchmarks/prepare.py [--data ../shared/data] [--runs 3]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(home: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one forced prepare in a child process."""
    immoval = Path(sys.executable).parent / "immoval"  # the console script of this venv
    command = [str(immoval), "--home", str(home), "prepare", "--force"]
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
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="immoval-bench-") as tmp:
        home = Path(tmp)
        (home / "raw").symlink_to(args.data.resolve())
        results = [run_once(home) for _ in range(args.runs)]
        manifest = json.loads((home / "prepared" / "manifest.json").read_text())
    seconds = [s for s, _, _ in results]
    cpu = [c for _, c, _ in results]
    memory = [m for _, _, m in results]
    print(f"prepare on {args.data} ({args.runs} runs, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"  wall time: median {statistics.median(seconds):.1f} s "
          f"(runs: {', '.join(f'{s:.1f}' for s in seconds)})")  # fmt: skip
    print(f"  CPU time:  median {statistics.median(cpu):.1f} s "
          f"(runs: {', '.join(f'{c:.1f}' for c in cpu)})")  # fmt: skip
    print(f"  peak RSS:  median {statistics.median(memory):.0f} MiB "
          f"(runs: {', '.join(f'{m:.0f}' for m in memory)})")  # fmt: skip
    print(f"  {manifest['sales']} sales written, data until {manifest['data_until']}")


if __name__ == "__main__":
    main()
