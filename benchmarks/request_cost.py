"""CPU cost of one estimate request in process: the real app through Flask's test client.

    .venv/bin/python benchmarks/request_cost.py --home $IMMOVAL_HOME [--requests 300]
        [--profile explain|plain]

With a real key (its own SQLite database, a limit no run reaches), sends `--requests`
POST /api/v1/estimates per `explain` value (true, then false) at real sale places of the
champion bundle, after a warm-up, and prints the median CPU time per request (process
time: the usage log's writer thread included) next to the estimator's own
(`Estimator.estimate`, same homes) and the model's pass alone (its SHAP tables beside
LightGBM's pred_contrib): what is left is the cost of
the request path outside the model, measured twice: per home, the request less the
estimator alone, and the same requests answered from estimates computed beforehand
(the path alone). `--profile` prints cProfile's top functions of one
run instead of timing it (profiling slows every call: figures from it are relative).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.api import properties, sample_places, shap_source  # noqa: E402


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def cpu_times(call, args_list) -> list[float]:
    """CPU time of `call(args)` for each item of `args_list`."""
    times = []
    for args in args_list:
        started = time.process_time()
        call(args)
        times.append(time.process_time() - started)
    return times


def build_app(home: Path):
    """The real app of `home` with a database of its own and a key in it."""
    from app import apikeys, create_app
    from app.db import Database

    database_url = f"sqlite:///{tempfile.mkdtemp(prefix='immoval-cost-')}/cost.sqlite3"
    _, key = apikeys.create_key(Database(database_url), "cost", rate_limit=10_000_000)
    # One key for every client: no cap on its requests at once (as benchmarks/api.py).
    config = {"HOME": str(home), "GEOCODER_URL": "", "DATABASE_URL": database_url}
    app = create_app({**config, "API_KEY_CONCURRENCY": 0})
    return app, {"Authorization": f"Bearer {key}"}


def main() -> None:
    from model.settings import home_from_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=home_from_env())
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", choices=("explain", "plain"), default=None)
    parser.add_argument("--threads", type=int, default=8, help="clients at once, last table")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime...")
    args = parser.parse_args()

    app, headers = build_app(args.home.resolve())
    client = app.test_client()
    homes = properties(sample_places(args.home, args.requests))

    def post(body):
        response = client.post("/api/v1/estimates", headers=headers, json=body)
        if response.status_code not in (200, 422):
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")
        return response

    for body in homes[:30]:  # warm-up: lazily built structures, caches
        post(body)
        post({**body, "explain": False})

    if args.profile:
        explain = args.profile == "explain"
        profiler = cProfile.Profile()
        profiler.enable()
        for body in homes:
            post({**body, "explain": explain})
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
        return

    from app.model_store import get_estimator
    from app.requests import parse_single_estimate
    from model.estimator import OutsideCoverage

    with app.app_context():
        estimator = get_estimator()
    statuses = [post(b).status_code for b in homes]
    print(
        f"{len(homes)} homes at real sale places of {estimator.version} "
        f"({statuses.count(200)} priced, {statuses.count(422)} outside coverage)"
    )
    # The homes as the view builds them (its precision included: the path-alone run keys on them).
    props = [parse_single_estimate(b, lambda _: None)[0] for b in homes]

    def estimate(prop, explain):
        try:
            estimator.estimate(prop, explain=explain)
        except OutsideCoverage:
            pass

    print(f"{'median CPU per request':<28} {'explain=true':>13} {'explain=false':>14}")
    figures = {}
    for explain in (True, False):
        # Interleaved, home by home: the request and the estimator alone see the same
        # machine (it is shared), and their difference is taken per home.
        request, alone = [], []
        for body, prop in zip(homes, props, strict=True):
            request += cpu_times(post, [{**body, "explain": explain}])
            alone += cpu_times(lambda p, e=explain: estimate(p, e), [prop])
        outside = [r - a for r, a in zip(request, alone, strict=True)]
        figures[explain] = (median_ms(request), median_ms(alone), median_ms(outside))
    rows = ("POST /api/v1/estimates", "Estimator.estimate alone", "request path outside it")
    for k, label in enumerate(rows):
        print(f"{label:<28} {figures[True][k]:10.2f} ms {figures[False][k]:11.2f} ms")
    # The path alone: the same requests, each home's estimate computed once beforehand.
    computed = {}
    for prop in props:
        for explain in (True, False):
            try:
                computed[prop, explain] = estimator.estimate(prop, explain=explain)
            except OutsideCoverage as exc:
                computed[prop, explain] = exc
    served = estimator.estimate_each

    def known(props, *, explain=True, **_):  # what the view's coalescer calls
        return [computed[prop, explain] for prop in props]

    estimator.estimate_each = known
    path = {
        e: median_ms(cpu_times(post, [{**b, "explain": e} for b in homes])) for e in (True, False)
    }
    estimator.estimate_each = served
    label = "path alone (estimate known)"
    print(f"{label:<28} {path[True]:10.2f} ms {path[False]:11.2f} ms")
    health = median_ms(cpu_times(lambda _: client.get("/api/v1/health"), homes))
    print(f"{'GET /api/v1/health':<28} {health:10.2f} ms   (Flask and the test client alone)")
    booster_pass(estimator, props)
    concurrent_cost(app, headers, homes, args.threads)


def concurrent_cost(app, headers, homes, threads: int) -> None:
    """CPU per request when `threads` clients post at once (a gunicorn worker's threads):
    the homes they hold together are valued in one call (app/coalescing.py)."""
    from app.coalescing import get_coalescer
    from benchmarks.paired import post_concurrently

    with app.app_context():
        coalescer = get_coalescer()
    calls = []
    valued = coalescer.value

    def counting(*a, **kw):
        ticket = valued(*a, **kw)
        calls.append(ticket.valued_with)
        return ticket

    coalescer.value = counting
    header = f"{'clients at once':<28} {'explain=true':>13} {'explain=false':>14}"
    print(f"{header}   homes per call (true / false)")
    for clients in sorted({1, threads}):
        row, per_call = [], []
        for explain in (True, False):
            bodies = [{**b, "explain": explain} for b in homes]
            calls.clear()
            row.append(post_concurrently(app, headers, bodies, clients) / len(bodies) * 1000)
            # Each request counts its call's size once per home: the mean size of a call.
            per_call.append(len(calls) / sum(1 / n for n in calls))
        label = f"{clients} client{'s' if clients > 1 else ''} (mean, all threads)"
        sizes = f"{per_call[0]:.1f} / {per_call[1]:.1f}"
        print(f"{label:<28} {row[0]:10.2f} ms {row[1]:11.2f} ms   {sizes}")
    coalescer.value = valued


def booster_pass(estimator, props) -> None:
    """LightGBM's pass alone on one home's features, with and without SHAP values."""
    from model.pricing import subjects_of

    prop = props[0]
    code = estimator.locate_commune(prop.latitude, prop.longitude)
    subjects = subjects_of([prop], [code], np.array([None], dtype=object))
    batch = estimator.pricer.features(dict(subjects))
    cost = {
        explain: median_ms(
            cpu_times(lambda _, e=explain: estimator.pricer.predict(batch, e), range(300))
        )
        for explain in (True, False)
    }
    print(f"{'model pass (1 home)':<28} {cost[True]:10.2f} ms {cost[False]:11.2f} ms")
    # The SHAP values the model pass uses (model/tree_shap.py) against LightGBM's own.
    booster, matrix = estimator.pricer.booster, batch.matrix
    own = median_ms(
        cpu_times(lambda _: booster.predict(matrix, pred_contrib=True, num_threads=1), range(300))
    )
    print(f"{'  LightGBM pred_contrib':<28} {own:10.2f} ms   (served: {shap_source(estimator)})")
    print(json.dumps({"note": "process CPU time per call, medians"}))


if __name__ == "__main__":
    main()
