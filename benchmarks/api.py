"""Load test of the API on loopback: gunicorn as in the Procfile, 50 keep-alive connections.

    .venv/bin/python benchmarks/api.py --home $IMMOVAL_HOME [--seconds 10]

Starts gunicorn with app/gunicorn_conf.py on a free port (its own SQLite database, a
key without a tight limit), then measures, in the same run:

1. saturation: 50 connections send requests back to back (closed loop) to
   GET /api/v1/health, then POST /api/v1/estimates — throughput and latency;
2. paced: the same 50 connections send estimates at a steady total rate (open loop,
   default 50 % of the measured saturation throughput) — latency of a loaded but
   not overloaded server, which is what the ≤ 10 ms median / ≤ 50 ms p99 target means
   (closed-loop latency is just connections / throughput);
3. batch: POST /api/v1/estimates/batch with 1000 properties, one at a time, with
   and without explanations.

First, the estimator alone in this process (no HTTP) gives the floor the API cannot
go below. Places are real sale places from the champion bundle.

Prints medians and p99s; asserts nothing. The load generator shares the machine's
cores with the server, so figures are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
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
    started = time.perf_counter()
    estimator.estimate_many(props * 5, explain=True)
    explained = time.perf_counter() - started
    started = time.perf_counter()
    estimator.estimate_many(props * 5, explain=False)
    print(
        f"in-process estimator.estimate_many(1000): {explained * 1000:.0f} ms with "
        f"explanations, {(time.perf_counter() - started) * 1000:.0f} ms without"
    )


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


def start_server(home: Path, port: int, database_url: str, workers: int | None):
    env = {
        **os.environ,
        "IMMOVAL_HOME": str(home),
        "PORT": str(port),
        "IMMOVAL_DATABASE_URL": database_url,
        "IMMOVAL_GEOCODER_URL": '""',
        "IMMOVAL_LOG_LEVEL": "warning",
        # One key drives every connection here: no cap on its requests at once.
        "IMMOVAL_API_KEY_CONCURRENCY": "0",
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "app" / "gunicorn_conf.py"),
            "--access-logfile",
            "/dev/null",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
        if server.poll() is not None:
            raise SystemExit("gunicorn exited: is there a champion model under --home?")
    raise SystemExit("gunicorn did not answer within 120 s")


def main() -> None:
    from model.settings import home_from_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=home_from_env())
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn_conf")
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="paced rate as a share of the saturation throughput",
    )
    parser.add_argument("--batches", type=int, default=10)
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
    server = start_server(args.home.resolve(), port, database_url, args.workers)
    try:
        run(args, port, key, bodies)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def run(args, port: int, key: str, bodies: list[bytes]) -> None:
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def health(i, n):
        return "GET", "/api/v1/health", {}, b""

    def estimate(i, n):
        return "POST", "/api/v1/estimates", auth, bodies[(i * 7919 + n) % len(bodies)]

    # Warm up: first requests load lazily built structures in each worker.
    asyncio.run(closed_loop(port, estimate, 2.0, args.connections))

    print(
        f"loopback, {os.cpu_count()} cores, {args.connections} connections, "
        f"{args.seconds:g} s per phase; load average before: {os.getloadavg()[0]:.1f}"
    )
    results = {}
    for name, make in (("health", health), ("estimate", estimate)):
        latencies, errors, elapsed = asyncio.run(
            closed_loop(port, make, args.seconds, args.connections)
        )
        results[name] = len(latencies) / elapsed
        print(
            f"saturation {name:<9} {results[name]:8.0f} req/s  {summary(latencies)}  "
            f"non-200: {errors}"
        )
    ratio = results["estimate"] / results["health"]
    print(f"estimate throughput / health throughput: {ratio:.0%} (target >= 50 %)")

    rate = max(1.0, results["estimate"] * args.paced_share)
    latencies, errors = asyncio.run(open_loop(port, estimate, args.seconds, args.connections, rate))
    print(
        f"paced      estimate  {rate:8.0f} req/s  {summary(latencies)}  non-200: {errors}  "
        "(target median <= 10 ms, p99 <= 50 ms)"
    )

    for explain in (True, False):
        batch = json.dumps(
            {"properties": [json.loads(b) for b in bodies[:1000]], "explain": explain}
        ).encode()
        times, statuses = asyncio.run(batches(port, auth, batch, args.batches))
        print(
            f"batch of 1000 (explain={str(explain).lower()}): median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over "
            f"{len(times)} (target <= 500 ms); statuses {sorted(set(statuses))}"
        )


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
