"""Server time of the site's other pages: the sales explorer, its export, commune pages and
the methodology page (medians, in process through the Flask test client).

    .venv/bin/python benchmarks/site_pages.py --home /path/with/a/promoted/model [--runs 30]

Each question is asked once to warm up (the commune index is built on first use: its
time is printed apart), then `--runs` times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGES = [
    ("explorer, address, 500 m", "/ventes?q=12+rue+de+Rivoli+75004+Paris"),
    (
        "explorer, filtered, 2 km",
        "/ventes?q=12+rue+de+Rivoli+75004+Paris&type=apartment&surface_min=40&surface_max=80"
        "&radius=2000&period=36&sort=m2-desc&page=3",
    ),
    ("explorer, commune", "/ventes?commune=59350&period=tout"),
    ("explorer CSV, 2 km", "/ventes.csv?q=12+rue+de+Rivoli+75004+Paris&radius=2000&period=tout"),
    ("commune page, Paris 11e", "/communes/75111"),
    ("commune page, Lille", "/communes/59350"),
    ("commune search", "/communes?q=montpel"),
    ("methodology", "/methodologie"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="immoval-bench-")) / "bench.sqlite3"

    from app import create_app

    app = create_app(
        {
            "HOME": args.home,
            "GEOCODER_URL": "",
            "EXPLORE_RATE_LIMIT": 10**9,
            "DATABASE_URL": f"sqlite:///{scratch}",
        }
    )
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    started = time.perf_counter()
    client.get("/methodologie")  # loads the champion
    print(f"first request (loads the model): {1000 * (time.perf_counter() - started):.0f} ms")
    started = time.perf_counter()
    first = client.get(PAGES[4][1])
    elapsed = 1000 * (time.perf_counter() - started)
    print(f"first commune page (builds the commune index): {elapsed:.0f} ms")
    assert first.status_code == 200, first.status_code
    for name, url in PAGES:
        response = client.get(url)
        size = len(response.get_data())
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            client.get(url).get_data()
            times.append(1000 * (time.perf_counter() - t))
        times.sort()
        p90 = times[int(0.9 * (len(times) - 1))]
        print(
            f"{name:<28} {response.status_code}  median {statistics.median(times):7.1f} ms"
            f"   p90 {p90:7.1f} ms   {size / 1024:6.0f} KiB   n={len(times)}"
        )


if __name__ == "__main__":
    main()
