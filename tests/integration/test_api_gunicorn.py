"""Gunicorn as in the Procfile: a key from the CLI gets estimates, and promoting another
model while requests run switches every worker without failing a single request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.integration.api_helpers import PLACES, bearer, create_key
from tests.integration.gunicorn_helpers import (
    copy_version,
    free_port,
    gunicorn,
    home_body,
    serving_home,
)


@pytest.fixture()
def served(model_home, tmp_path):
    """Gunicorn on a copy of the model home (its own database), with its champion version."""
    home = tmp_path / "home"
    version = serving_home(model_home, home)
    with gunicorn(home) as (_, base):
        yield base, home, version


@pytest.mark.slow
def test_promoting_a_model_under_load_fails_no_request(served):
    from model.registry import promote

    base, home, old = served
    key = create_key(home, "Agence sous charge", rate_limit=1_000_000)
    covered = json.loads((home / "models" / old / "metadata.json").read_text())["departements"]
    places = [place for dep, place in PLACES.items() if dep in covered]
    health = requests.get(f"{base}/health", timeout=5).json()
    assert health["model_version"] == old

    results: list[tuple[float, int, str | None]] = []
    stop = threading.Event()

    def client(n: int):
        session = requests.Session()
        body = home_body(places[n % len(places)], living_area_m2=40 + n)
        while not stop.is_set():
            try:
                r = session.post(f"{base}/estimates", json=body, headers=bearer(key), timeout=60)
                results.append((time.monotonic(), r.status_code, r.headers.get("X-Model-Version")))
            except requests.RequestException as exc:
                results.append((time.monotonic(), 0, repr(exc)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    new = copy_version(home / "models", old, f"{old}-bis").name
    promote(home / "models", new, force=True)
    promoted_at = time.monotonic()
    # Keep the load on until the new version has answered alone for a second.
    deadline = promoted_at + 60
    while time.monotonic() < deadline:
        recent = [v for at, _, v in results if at > time.monotonic() - 1.0]
        if recent and all(v == new for v in recent) and time.monotonic() - promoted_at > 2:
            break
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=60)

    statuses = [status for _, status, _ in results]
    print(f"{len(results)} requests, switch after {len([r for r in results if r[2] == old])}")
    assert statuses and set(statuses) == {200}, [r for r in results if r[1] != 200][:5]
    versions = [v for _, status, v in results if status == 200]
    assert versions[0] == old and set(versions) == {old, new}, (versions[:3], versions[-3:])
    # Every worker ends on the new model (a worker idle during the switch answers its next
    # request with the old one while it loads the new one aside).
    deadline = time.monotonic() + 60
    while True:
        seen = {
            requests.post(
                f"{base}/estimates", json=home_body(places[0]), headers=bearer(key), timeout=30
            ).headers.get("X-Model-Version")
            for _ in range(10)
        }
        if seen == {new}:
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.2)


def test_immoval_serve_runs_gunicorn_with_its_config(served, tmp_path):
    """`immoval serve` (the CLI entry point) starts the same server on the given port."""
    _, home, version = served
    port = free_port()
    env = {**os.environ, "IMMOVAL_GEOCODER_URL": '""', "WEB_CONCURRENCY": "1"}
    env.pop("IMMOVAL_DATABASE_URL", None)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("immoval")),
            "--home",
            str(home),
            "serve",
            "--port",
            str(port),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
        ],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # still starting
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert health.json()["model_version"] == version
        requests.get(f"http://127.0.0.1:{port}/api/v1/comparables?address=secret+street", timeout=5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        log, _ = server.communicate(timeout=60)
    # The access log names the path, never the query string (addresses stay out of logs).
    assert '"GET /api/v1/comparables"' in log and "secret" not in log
