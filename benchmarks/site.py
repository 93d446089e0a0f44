"""Server time of the site's result page (target: median <= 50 ms with the four-département model).

    IMMOVAL_HOME=/path/with/a/promoted/model .venv/bin/python benchmarks/site.py [--runs 50]

Times the whole WSGI request in process (Flask test client: CSRF, geocoding through the
offline index, estimate, market history, rendering), then its parts, and prints medians.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

ADDRESSES = [
    "12 rue de Rivoli 75004 Paris",
    "40 boulevard Voltaire 75011 Paris",
    "5 rue Nationale 59800 Lille",
    "3 rue de la Loge 34000 Montpellier",
    "10 rue du Gros Horloge 76000 Rouen",
]
PROPERTIES = [
    {"property_type": "apartment", "living_area_m2": "62", "rooms": "3", "outbuildings": "1"},
    {"property_type": "house", "living_area_m2": "110", "rooms": "5", "land_area_m2": "400"},
]


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(name: str, times: list[float]) -> None:
    times = sorted(times)
    p90 = times[int(0.9 * (len(times) - 1))]
    print(
        f"{name:<34} median {statistics.median(times):7.1f} ms   p90 {p90:7.1f} ms   n={len(times)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="IMMOVAL_HOME (default: environment)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    import tempfile

    # Rate-limit counters go to a scratch database, never into the home's own.
    scratch = Path(tempfile.mkdtemp(prefix="immoval-bench-")) / "bench.sqlite3"

    from app import create_app
    from app.geocoding import get_geocoder
    from app.model_store import get_estimator
    from app.requests import parse_estimate_request

    config = {"GEOCODER_URL": "", "FORM_RATE_LIMIT": 10**9, "DATABASE_URL": f"sqlite:///{scratch}"}
    if args.home:
        config["HOME"] = args.home
    app = create_app(config)
    client = app.test_client()
    # A documentation address: the benchmark's requests do not count against localhost.
    client.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cases = [dict(p, address=a, csrf_token=token) for a in ADDRESSES for p in PROPERTIES]

    # Warm up (model, indexes, templates); each case keeps its own status: at one address
    # the house may be valued and the apartment not.
    statuses = [client.post("/estimation", data=case).status_code for case in cases]
    print(
        "statuses:",
        [(c["address"], c["property_type"], s) for c, s in zip(cases, statuses, strict=True)],
    )
    ok = [c for c, status in zip(cases, statuses, strict=True) if status == 200]
    if not ok:
        raise SystemExit("no address gave a result page: is a four-département model promoted?")

    i = iter(range(10**9))

    def page_request():
        case = ok[next(i) % len(ok)]
        response = client.post("/estimation", data=case)
        assert response.status_code == 200, response.status_code

    summary("result page (whole request)", timed(page_request, args.runs))
    with app.test_request_context():
        geocoder, estimator = get_geocoder(), get_estimator()
        summary(
            "  geocode (offline index)",
            timed(lambda: geocoder.geocode(ok[next(i) % len(ok)]["address"]), args.runs),
        )
        props = [
            parse_estimate_request(
                {k: v for k, v in c.items() if k != "csrf_token"}, geocoder.geocode
            )[0]
            for c in ok
        ]
        summary(
            "  estimate (10 comparables)",
            timed(
                lambda: estimator.estimate(props[next(i) % len(props)], comparables=10), args.runs
            ),
        )
        summary(
            "  market history",
            timed(lambda: estimator.market_history("75104", "apartment"), args.runs),
        )
    html = client.post("/estimation", data=ok[0]).get_data()
    print(f"result page HTML: {len(html) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
