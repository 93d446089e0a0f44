"""Load test of the API on loopback: gunicorn as in the Procfile, wrk at saturation.

    .venv/bin/python benchmarks/api.py --home $IMMOVAL_HOME [--seconds 10]

Needs wrk (Debian: `apt-get install -y wrk`). Starts gunicorn with app/gunicorn_conf.py on
a free port (its own SQLite database, a key without a tight limit), then measures, in
the same run:

1. saturation with wrk (`--connections` keep-alive connections, one wrk thread, closed
   loop): GET /api/v1/health, then POST /api/v1/estimates with `explain` true and
   false (bodies rotated over 2000 real sale places) — throughput, median and p99; in
   `--rounds` rounds (every other one in reverse order), each estimate's throughput
   taken as a share of /health's within its round, and the median of the rounds kept:
   a shared machine's speed drifts by tens of percent within minutes, and a ratio of
   two phases minutes apart would measure the drift;
2. paced: estimates at a fixed total rate, half the median saturation throughput of
   each (`--paced-share`), sent by this script's asyncio client (open loop, Poisson
   arrivals over the same connections; wrk2, which paces, is not in Debian) — the
   latency of a loaded but not overloaded server, counted from each request's
   scheduled time (closed-loop latency is just connections / throughput), and beside it
   the time the same requests spent inside a worker (gunicorn's access log, `%(M)s`):
   where the client's figure is much larger, the wait is in the sockets or the client;
3. batch: POST /api/v1/estimates/batch with 1000 properties, one at a time, with
   and without explanations.

First, the estimator alone in this process (no HTTP) gives the floor the API cannot
go below. Ends with a table of the issue's targets: estimate throughput with
explanation >= 12 % of /health's, without >= 35 %, p99 <= 50 ms at half the saturation
rate. Prints figures; asserts nothing. The load generator shares the machine's cores
with the server, so figures are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Fallback places (commune centres of the four départements of the shared data) used
# only when the home has no prepared sales to sample real places from.
FALLBACK_POINTS = [(48.8566, 2.3522), (50.6292, 3.0573), (43.6108, 3.8767), (49.4431, 1.0993)]


def sample_places(home: Path, n: int, seed: int = 7) -> list[tuple[float, float, str]]:
    """Real sale places (lat, lon, type) from the champion bundle's sales, else fallbacks."""
    from model.registry import read_champion

    rng = random.Random(seed)
    version = read_champion(home / "models")
    sales = home / "models" / str(version) / "sales.parquet"
    if version and sales.is_file():
        import pyarrow.parquet as pq

        table = pq.read_table(sales, columns=["latitude", "longitude", "property_type"])
        rows = [
            r
            for r in table.to_pylist()
            if r["latitude"] is not None and r["latitude"] == r["latitude"]
        ]
        if rows:
            picked = rng.sample(rows, min(n, len(rows)))
            return [(r["latitude"], r["longitude"], str(r["property_type"])) for r in picked]
    return [
        (
            lat + rng.uniform(-0.01, 0.01),
            lon + rng.uniform(-0.01, 0.01),
            rng.choice(["apartment", "house"]),
        )
        for lat, lon in (rng.choice(FALLBACK_POINTS) for _ in range(n))
    ]


def in_process(home: Path, bodies: list[bytes], seconds: float) -> None:
    """The estimator alone, one thread, no HTTP: what the API cannot go below."""
    from model.estimator import Estimator, OutsideCoverage
    from model.property import Property
    from model.registry import read_champion

    estimator = Estimator.load(home / "models" / read_champion(home / "models"))
    props = [Property.from_mapping(json.loads(b)) for b in bodies[:200]]
    times, deadline, i = [], time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            estimator.estimate(props[i % len(props)])
        except OutsideCoverage:
            pass
        times.append(time.perf_counter() - started)
        i += 1
    print(f"in-process estimator.estimate (no HTTP, 1 thread): {summary(times)}")
    print(f"  SHAP values: {shap_source(estimator)}")
    times = []
    for prop in props:
        started = time.perf_counter()
        try:
            estimator.estimate(prop, explain=False)
        except OutsideCoverage:
            pass
        times.append(time.perf_counter() - started)
    print(f"in-process estimator.estimate(explain=False):      {summary(times)}")
    started = time.perf_counter()
    estimator.estimate_many(props * 5, explain=True)
    explained = time.perf_counter() - started
    started = time.perf_counter()
    estimator.estimate_many(props * 5, explain=False)
    print(
        f"in-process estimator.estimate_many(1000): {explained * 1000:.0f} ms with "
        f"explanations, {(time.perf_counter() - started) * 1000:.0f} ms without"
    )


def shap_source(estimator) -> str:
    """Where an explained estimate's SHAP values come from (`model.tree_shap`)."""
    from model.mapped import is_mapped

    tables = estimator.pricer.explainer
    if tables is None:
        return "LightGBM's pred_contrib (a model the tables do not read)"
    where = "mapped from the bundle's shap/" if is_mapped(tables.table) else "built at load"
    return f"exact tables, {where}"


def properties(places) -> list[dict]:
    rng = random.Random(11)
    out = []
    for lat, lon, kind in places:
        area = rng.uniform(25, 90) if kind == "apartment" else rng.uniform(60, 180)
        out.append(
            {
                "property_type": kind,
                "living_area_m2": round(area, 1),
                "rooms": max(1, int(area // 22)),
                "latitude": lat,
                "longitude": lon,
                **({"land_area_m2": rng.choice([0, 200, 500, 1200])} if kind == "house" else {}),
            }
        )
    return out


# --- a small HTTP/1.1 keep-alive client ----------------------------------------------


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def request(self, method: str, path: str, headers: dict, body: bytes = b"") -> int:
        try:
            return await self._request(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            # The server closed an idle keep-alive connection as we sent: reconnect once,
            # as HTTP clients do.
            self.writer = None
            return await self._request(method, path, headers, body)

    async def _request(self, method: str, path: str, headers: dict, body: bytes) -> int:
        if self.writer is None:
            await self.open()
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status


async def closed_loop(port, make_request, seconds, connections):
    """Every connection sends its next request as soon as the last is answered."""
    latencies, errors = [], {}  # non-200 statuses (0: connection error) and their counts
    deadline = time.perf_counter() + seconds

    async def client(i):
        conn = Connection(port)
        n = 0
        while time.perf_counter() < deadline:
            method, path, headers, body = make_request(i, n)
            started = time.perf_counter()
            try:
                status = await conn.request(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                conn.writer, status = None, 0
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors[status] = errors.get(status, 0) + 1
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(connections)))
    return latencies, errors, time.perf_counter() - started


async def open_loop(port, make_request, seconds, connections, rate):
    """Requests arrive at `rate` per second in total (Poisson), spread over the connections."""
    latencies, errors = [], {}
    per_connection = rate / connections

    async def client(i):
        conn = Connection(port)
        rng = random.Random(i)
        next_at = time.perf_counter() + rng.expovariate(per_connection)
        end = time.perf_counter() + seconds
        n = 0
        while next_at < end:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            method, path, headers, body = make_request(i, n)
            # Latency counts from the scheduled time: a late send is the server's delay too.
            scheduled = next_at
            try:
                status = await conn.request(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                conn.writer, status = None, 0
            latencies.append(time.perf_counter() - scheduled)
            if status != 200:
                errors[status] = errors.get(status, 0) + 1
            n += 1
            next_at = max(next_at + rng.expovariate(per_connection), time.perf_counter())

    await asyncio.gather(*(client(i) for i in range(connections)))
    return latencies, errors


def summary(latencies) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"median {statistics.median(ms):6.1f} ms  p99 {p99:6.1f} ms  (n={len(ms)})"


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, port: int, database_url: str, workers: int | None, access_log):
    from app.gunicorn_command import start_local, wait_until_healthy

    env = {
        "IMMOVAL_DATABASE_URL": database_url,
        "IMMOVAL_GEOCODER_URL": '""',
        "IMMOVAL_LOG_LEVEL": "warning",
        # One key drives every connection here: no cap on its requests at once.
        "IMMOVAL_API_KEY_CONCURRENCY": "0",
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    server = start_local(home, port, env, output=None, access_log=access_log)
    try:
        wait_until_healthy(server, port)
    except RuntimeError as error:
        raise SystemExit(f"{error}: is there a champion model under --home?") from None
    return server


def main() -> None:
    from model.settings import home_from_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=home_from_env())
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds", type=int, default=3, help="saturation rounds (ratios: their median)"
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn_conf")
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="paced rate as a share of the saturation throughput",
    )
    parser.add_argument("--batches", type=int, default=10, help="0: no batch phase")
    args = parser.parse_args()

    from app import apikeys
    from app.db import Database

    scratch = Path(tempfile.mkdtemp(prefix="immoval-bench-"))
    database_url = f"sqlite:///{scratch}/bench.sqlite3"
    _, key = apikeys.create_key(Database(database_url), "benchmark", rate_limit=10_000_000)
    port = free_port()
    bodies = [json.dumps(p).encode() for p in properties(sample_places(args.home, 2000))]
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as in gunicorn_conf
    in_process(args.home, bodies, min(args.seconds, 5.0))
    access_log = scratch / "access.log"
    server = start_server(args.home.resolve(), port, database_url, args.workers, access_log)
    try:
        run(args, port, key, bodies, access_log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


# --- wrk -------------------------------------------------------------------------------

# One request per call, bodies rotated from a file of JSON lines; `done` prints one line
# this script reads (wrk's latencies are in microseconds).
WRK_SCRIPT = """
local bodies, i = {}, 0
local path = os.getenv("IMMOVAL_WRK_BODIES")
if path then for line in io.lines(path) do bodies[#bodies + 1] = line end end
wrk.headers["Authorization"] = os.getenv("IMMOVAL_WRK_AUTH")
wrk.headers["Content-Type"] = "application/json"
request = function()
  if #bodies == 0 then return wrk.format("GET", wrk.path) end
  i = i % #bodies + 1
  return wrk.format("POST", wrk.path, nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("IMMOVAL %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(port: int, path: str, seconds: float, connections: int, env: dict) -> dict:
    """Saturation throughput and latencies of one wrk run."""
    scratch = Path(tempfile.mkdtemp(prefix="immoval-wrk-"))
    script = scratch / "requests.lua"
    script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script)]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("IMMOVAL "))
    requests, micros, median, p99, bad_status, socket_errors = map(int, line.split()[1:])
    return {
        "rate": requests / (micros / 1e6),
        "median_ms": median / 1000,
        "p99_ms": p99 / 1000,
        "non_2xx": bad_status,
        "socket_errors": socket_errors,
        "n": requests,
    }


def run(args, port: int, key: str, bodies: list[bytes], access_log: Path) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    scratch = Path(tempfile.mkdtemp(prefix="immoval-bench-bodies-"))
    variants = {}
    for explain in (True, False):
        lines = scratch / f"explain-{str(explain).lower()}.jsonl"
        lines.write_text(
            "\n".join(json.dumps({**json.loads(b), "explain": explain}) for b in bodies) + "\n"
        )
        variants[explain] = lines

    def estimate(explain):
        texts = variants[explain].read_bytes().splitlines()

        def make(i, n):
            return "POST", "/api/v1/estimates", auth, texts[(i * 7919 + n) % len(texts)]

        return make

    # Warm up: first requests load lazily built structures in each worker.
    asyncio.run(closed_loop(port, estimate(True), 2.0, args.connections))

    print(
        f"loopback, {os.cpu_count()} cores, wrk -t1 -c{args.connections}, "
        f"{args.seconds:g} s per phase; load average before: {os.getloadavg()[0]:.1f}"
    )
    auth_env = {"IMMOVAL_WRK_AUTH": auth["Authorization"]}
    phases = {
        "health": ("/api/v1/health", {}),
        "explained": ("/api/v1/estimates", {"IMMOVAL_WRK_BODIES": str(variants[True])}),
        "plain": ("/api/v1/estimates", {"IMMOVAL_WRK_BODIES": str(variants[False])}),
    }
    rounds = []
    for k in range(args.rounds):
        # Every other round in reverse order: a machine that slows down during a round
        # then biases the rounds' ratios both ways, not always the same way.
        names = list(phases) if k % 2 == 0 else list(reversed(phases))
        measured = {}
        for name in names:
            path, env = phases[name]
            r = wrk(port, path, args.seconds, args.connections, {**auth_env, **env})
            measured[name] = r
            print(
                f"saturation {name:<10} {r['rate']:8.0f} req/s  median {r['median_ms']:6.1f} ms  "
                f"p99 {r['p99_ms']:6.1f} ms  (n={r['n']}, non-2xx {r['non_2xx']}, "
                f"socket errors {r['socket_errors']})"
            )
        rounds.append(measured)
        print(f"  round {k + 1}: {ratios_line(measured)}")
    saturation = median_round(rounds)

    paced = {}
    for name, explain in (("explained", True), ("plain", False)):
        rate = max(1.0, saturation["rates"][name] * args.paced_share)
        start = _settled_size(access_log)
        latencies, errors = asyncio.run(
            open_loop(port, estimate(explain), args.seconds, args.connections, rate)
        )
        paced[name] = (rate, latencies)
        print(f"paced      {name:<10} {rate:8.0f} req/s  {summary(latencies)}  non-200: {errors}")
        phase = _lines_between(access_log, start, _settled_size(access_log))
        inside = worker_seconds(phase, "/api/v1/estimates")
        print(f"  in the workers        {'':>8}        {summary(inside) if inside else 'n/a'}")

    targets_table(saturation, paced, args.paced_share)

    for explain in (True, False):
        if not args.batches:
            break
        batch = json.dumps(
            {"properties": [json.loads(b) for b in bodies[:1000]], "explain": explain}
        ).encode()
        times, statuses = asyncio.run(batches(port, auth, batch, args.batches))
        print(
            f"batch of 1000 (explain={str(explain).lower()}): median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over "
            f"{len(times)} (target <= 500 ms); statuses {sorted(set(statuses))}"
        )


# What gunicorn_conf's access_log_format writes of a request: method, path, status, bytes,
# then the time the worker spent on it in milliseconds.
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+)" (?P<status>\d{3}) \S+ (?P<ms>\d+)ms')


def worker_seconds(lines, path: str) -> list[float]:
    """Seconds inside a worker of each answered (200) POST to `path`, from access log lines."""
    found = (ACCESS_LINE.search(line) for line in lines)
    return [
        int(m["ms"]) / 1000
        for m in found
        if m and m["method"] == "POST" and m["path"] == path and m["status"] == "200"
    ]


def _settled_size(path: Path, pause: float = 0.5) -> int:
    """The log's size in bytes once the requests still in flight (wrk's last ones, or a
    phase's) are logged: it stops growing."""
    size = _size(path)
    while True:
        time.sleep(pause)
        if (now := _size(path)) == size:
            return size
        size = now


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _lines_between(path: Path, start: int, end: int) -> list[str]:
    """The log's lines written between two of its sizes (read once, nothing before)."""
    if end <= start:
        return []
    with open(path, "rb") as log:
        log.seek(start)
        return log.read(end - start).decode(errors="replace").splitlines()


def p99_ms(latencies) -> float:
    ms = sorted(x * 1000 for x in latencies)
    return ms[min(len(ms) - 1, int(len(ms) * 0.99))]


# The phases whose throughput is measured against /health's.
ESTIMATE_PHASES = ("explained", "plain")


def throughput_ratios(measured: dict) -> dict[str, float]:
    """Each estimate phase's throughput as a share of /health's, from one round."""
    health = measured["health"]["rate"]
    return {name: measured[name]["rate"] / health for name in ESTIMATE_PHASES}


def ratios_line(measured: dict) -> str:
    ratios = throughput_ratios(measured)
    return ", ".join(f"{name} {value:.1%} of /health" for name, value in ratios.items())


def median_round(rounds: list[dict]) -> dict:
    """Each phase's median rate over the rounds, and the median of the rounds' ratios
    (each ratio taken within one round: the machine's speed drifts between rounds)."""
    rates = {name: statistics.median(r[name]["rate"] for r in rounds) for name in rounds[0]}
    ratios = {
        name: statistics.median(throughput_ratios(r)[name] for r in rounds)
        for name in ESTIMATE_PHASES
    }
    return {"rates": rates, "ratios": ratios}


def targets_table(saturation: dict, paced: dict, share: float) -> None:
    """The issue's targets against this run's figures (`saturation`: `median_round`)."""
    ratios = saturation["ratios"]
    rows = [
        ("estimate/health throughput, explained", ratios["explained"], 0.12, ">="),
        ("estimate/health throughput, plain", ratios["plain"], 0.35, ">="),
        (f"p99 at {share:.0%} of saturation, explained", p99_ms(paced["explained"][1]), 50, "<="),
        (f"p99 at {share:.0%} of saturation, plain", p99_ms(paced["plain"][1]), 50, "<="),
    ]
    print(f"\n{'target':<42} {'measured':>9} {'target':>9}  met")
    for label, value, target, sense in rows:
        met = value >= target if sense == ">=" else value <= target
        shown = (
            (f"{value:.1%}", f"{sense} {target:.0%}")
            if target < 1
            else (
                f"{value:.1f} ms",
                f"{sense} {target} ms",
            )
        )
        print(f"{label:<42} {shown[0]:>9} {shown[1]:>9}  {'yes' if met else 'NO'}")


async def batches(port: int, auth: dict, batch: bytes, count: int):
    """Send the same batch `count` times, one after the other; latencies and statuses."""
    conn = Connection(port)
    times, statuses = [], []
    for _ in range(count):
        started = time.perf_counter()
        statuses.append(await conn.request("POST", "/api/v1/estimates/batch", auth, batch))
        times.append(time.perf_counter() - started)
    return times, statuses


if __name__ == "__main__":
    main()
