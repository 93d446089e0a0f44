"""Gunicorn as in the Procfile, 3 workers, under bounded load on loopback: limits exact
across workers, and one key saturating its quota leaves /health answering."""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.api_helpers import PLACES, bearer, create_key, within_one_window
from tests.integration.gunicorn_helpers import gunicorn, home_body, serving_home

# A one-hour window: a run of a few seconds is very unlikely to straddle two windows.
WINDOW = "3600"


@pytest.fixture()
def home(model_home, tmp_path):
    home = tmp_path / "home"
    serving_home(model_home, home)
    return home


@pytest.mark.slow
def test_limits_are_exact_across_three_workers(home):
    limit, sent, threads = 100, 300, 12
    single = create_key(home, "Agence exacte", rate_limit=limit)
    batched = create_key(home, "Agence par lots", rate_limit=limit)
    body = {"properties": [home_body(PLACES["75"])] * 7}
    within_one_window(seconds=60, window=int(WINDOW))
    with gunicorn(home, WEB_CONCURRENCY="3", IMMOVAL_API_RATE_WINDOW=WINDOW) as (_, base):
        local = threading.local()

        def session():
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        def one(_):
            return session().get(f"{base}/model", headers=bearer(single), timeout=30).status_code

        def batch(_):
            r = session().post(
                f"{base}/estimates/batch", json=body, headers=bearer(batched), timeout=30
            )
            return r.status_code

        with ThreadPoolExecutor(threads) as pool:
            singles = list(pool.map(one, range(sent)))
            batches = list(pool.map(batch, range(sent // 7)))
    admitted = singles.count(200)
    print(
        f"limit {limit}: {admitted} of {sent} admitted across 3 workers "
        f"(over-admission {max(0, admitted - limit)}, under-admission {max(0, limit - admitted)})"
    )
    assert admitted == limit and singles.count(429) == sent - limit
    # Batches of 7: each admitted one cost 7; a refused one cost 1 (its body was read).
    items = 7 * batches.count(200)
    print(f"batches of 7, limit {limit}: {batches.count(200)} admitted ({items} items)")
    assert set(batches) == {200, 429} and items <= limit
    assert items >= limit - 7 - batches.count(429), (items, batches.count(429))


def _health_probe(base, stop, latencies):
    session = requests.Session()
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = session.get(f"{base}/health", timeout=10).status_code
        except requests.RequestException:
            status = 0
        latencies.append((status, time.monotonic() - started))
        time.sleep(0.05)


@pytest.mark.slow
def test_health_answers_while_one_key_saturates_its_quota(home):
    key = create_key(home, "Agence gourmande", rate_limit=3000)
    addresses = [f"{n} rue imaginaire des essais {n} 75011 Paris" for n in range(100)]
    batch = {
        "explain": True,
        "properties": [
            {"property_type": "apartment", "living_area_m2": 30 + n % 60, "rooms": 2, "address": a}
            for n, a in enumerate(addresses)
        ],
    }
    within_one_window(seconds=60, window=int(WINDOW))
    env = {"WEB_CONCURRENCY": "3", "IMMOVAL_API_RATE_WINDOW": WINDOW}
    env |= {"IMMOVAL_API_KEY_CONCURRENCY": "2", "IMMOVAL_REQUEST_DEADLINE_SECONDS": "5"}
    with gunicorn(home, **env) as (_, base):
        stop = threading.Event()
        latencies: list[tuple[int, float]] = []
        outcomes: list[tuple[int, float]] = []

        def greedy():
            session = requests.Session()
            while not stop.is_set():
                started = time.monotonic()
                r = session.post(
                    f"{base}/estimates/batch", json=batch, headers=bearer(key), timeout=60
                )
                outcomes.append((r.status_code, time.monotonic() - started))

        probe = threading.Thread(target=_health_probe, args=(base, stop, latencies))
        clients = [threading.Thread(target=greedy) for _ in range(14)]
        for t in [probe, *clients]:
            t.start()
        time.sleep(12)
        stop.set()
        for t in [probe, *clients]:
            t.join(timeout=90)
    statuses = [s for s, _ in outcomes]
    answered = [seconds for status, seconds in outcomes if status == 200]
    health = sorted(seconds for _, seconds in latencies)
    print(
        f"14 clients of one key, batches of 100: {statuses.count(200)} answered, "
        f"{statuses.count(429)} refused; batch max {max(answered):.1f} s; /health "
        f"{len(health)} probes, median {1000 * statistics.median(health):.0f} ms, "
        f"max {1000 * health[-1]:.0f} ms"
    )
    assert {status for status, _ in latencies} == {200}
    assert statuses.count(200) * 100 <= 3000 and set(statuses) <= {200, 429}
    assert max(answered) < 5 + 5, "a batch ran far past its deadline"
    assert statistics.median(health) < 0.5 and health[-1] < 3.0, health[-20:]


@pytest.mark.slow
def test_a_worker_with_requests_queued_closes_their_connections(home):
    """Keep-alive connections stay with the worker that accepted them: a busy worker must
    send its waiting clients elsewhere, or one worker serves a whole pool while the others
    idle. One worker with one thread: of two requests queued behind a batch, the first
    (another waits behind it) is answered with "Connection: close"; a request alone keeps
    its connection."""
    key = create_key(home, "Agence en rafale")
    batch = json.dumps({"explain": True, "properties": [home_body(PLACES["75"])] * 400})
    with gunicorn(home, WEB_CONCURRENCY="1", IMMOVAL_THREADS="1") as (_, base):
        port = urlsplit(base).port
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in "abcd"]
        alone, busy, first, second = connections
        try:
            time.sleep(0.5)  # the start-up probe's connection closed and counted out
            alone.request("GET", "/api/v1/health")
            lone = alone.getresponse()
            lone.read()
            headers = {**bearer(key), "Content-Type": "application/json"}
            started = time.monotonic()
            busy.request("POST", "/api/v1/estimates/batch", body=batch, headers=headers)
            for connection in (first, second):
                time.sleep(0.1)
                connection.request("GET", "/api/v1/health")
            queued = time.monotonic() - started
            answers = [c.getresponse() for c in (busy, first, second)]
            for answer in answers:
                answer.read()
            took = time.monotonic() - started
        finally:
            for connection in connections:
                connection.close()
    assert lone.getheader("Connection") == "keep-alive"
    assert [a.status for a in answers] == [200, 200, 200]
    print(f"batch {took:.2f} s, queued {queued:.2f} s")
    assert took > 2 * queued, f"the batch ({took:.2f} s) did not keep the thread busy"
    batch_answer, first_answer, _ = answers
    assert first_answer.getheader("Connection") == "close"
    assert batch_answer.getheader("Connection") == "keep-alive"


@pytest.mark.slow
def test_estimates_answered_at_once_by_one_worker_are_those_answered_one_by_one(home):
    """A worker values the single estimates it holds at once in one call (app/coalescing.py):
    eight clients released together, over five rounds, each get byte for byte the answer
    their home gets alone, explained or not."""
    key = create_key(home, "Agence simultanée", rate_limit=10_000)
    latitude, longitude = PLACES["75"]  # the test model knows Paris only
    bodies = [
        home_body(
            (latitude + 0.004 * (k % 4 - 2), longitude + 0.006 * (k // 4 - 1)),
            living_area_m2=30 + 9 * k,
            explain=k % 3 != 0,
        )
        for k in range(8)
    ]
    with gunicorn(home, WEB_CONCURRENCY="1", IMMOVAL_THREADS="8") as (_, base):
        session = requests.Session()

        def post(body, s=session):
            r = s.post(f"{base}/estimates", json=body, headers=bearer(key), timeout=60)
            assert r.status_code == 200, r.text
            return r.json()

        alone = [post(body) for body in bodies]
        barrier = threading.Barrier(len(bodies))
        sessions = [requests.Session() for _ in bodies]

        def together(k):
            barrier.wait()
            return post(bodies[k], sessions[k])

        with ThreadPoolExecutor(len(bodies)) as pool:
            rounds = [list(pool.map(together, range(len(bodies)))) for _ in range(5)]
    assert len({json.dumps(a["estimate"], sort_keys=True) for a in alone}) == len(bodies)
    for answers in rounds:
        assert answers == alone
