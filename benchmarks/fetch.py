"""Wall time of `immoval fetch` (default set: 4 départements, all sources) from a mirror.

Usage: .venv/bin/python benchmarks/fetch.py [--data ../shared/data] [--runs 3]

Measures, from a folder and from a local http server serving the same folder: a cold fetch
into an empty home, and a warm re-run (everything already fetched: sha256 checks only).
Prints medians of `--runs` runs, each a child `immoval` process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def timed_fetch(home: Path, source: str) -> float:
    """Seconds of one `immoval fetch` child process; raises if it fails."""
    immoval = Path(sys.executable).parent / "immoval"
    command = [str(immoval), "--home", str(home), "fetch", "--source", source]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = Path(args.data).resolve()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(data)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sources = {"folder": str(data), "http": f"http://127.0.0.1:{httpd.server_address[1]}/"}
    try:
        for name, source in sources.items():
            cold, warm = [], []
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory(prefix="immoval-fetch-bench-") as home:
                    cold.append(timed_fetch(Path(home), source))
                    warm.append(timed_fetch(Path(home), source))
                    raw = Path(home) / "raw"
                    size = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
            print(
                f"{name:>6}: cold median {statistics.median(cold):.2f} s, "
                f"warm (nothing to download) median {statistics.median(warm):.2f} s, "
                f"{size / 1e6:.0f} MB in raw/ ({args.runs} runs)"
            )
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
