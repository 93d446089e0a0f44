"""Gunicorn as in the Procfile: a key from the CLI gets estimates, and promoting another
model while requests run switches every worker without failing a single request."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.integration.api_helpers import PLACES, bearer, create_key

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _second_version(models: Path, version: str) -> str:
    """Register the champion's bundle again under a new version name (hard links, new metadata)."""
    new = f"{version}-bis"
    shutil.copytree(models / version, models / new, copy_function=os.link)
    meta_path = models / new / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["version"] = new
    meta_path.unlink()  # a hard link: do not write through to the original
    meta_path.write_text(json.dumps(meta))
    return new


def _home(place, **extra) -> dict:
    return {
        "property_type": "apartment",
        "living_area_m2": 45,
        "rooms": 2,
        "latitude": place[0],
        "longitude": place[1],
        **extra,
    }


@pytest.fixture()
def served(model_home, tmp_path):
    """Gunicorn on a copy of the model home (its own database), with its champion version."""
    from model.registry import read_champion

    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    version = read_champion(model_home / "models")
    shutil.copytree(
        model_home / "models" / version, home / "models" / version, copy_function=os.link
    )
    (home / "models" / "champion").write_text(version + "\n")
    if (model_home / "prepared").is_dir():
        (home / "prepared").symlink_to(model_home / "prepared")
    port = _free_port()
    env = {
        **os.environ,
        "IMMOVAL_HOME": str(home),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "IMMOVAL_THREADS": "4",
        "IMMOVAL_GEOCODER_URL": '""',
        "IMMOVAL_MODEL_CHECK_SECONDS": "0.2",
        "IMMOVAL_LOG_LEVEL": "warning",
    }
    env.pop("IMMOVAL_DATABASE_URL", None)
    procfile = (ROOT / "Procfile").read_text().split(":", 1)[1].split()
    assert procfile[:3] == ["gunicorn", "-c", "app/gunicorn_conf.py"]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *procfile[1:3],
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still starting
                pass
            assert server.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield base, home, version
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


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
        body = _home(places[n % len(places)], living_area_m2=40 + n)
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
    new = _second_version(home / "models", old)
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
                f"{base}/estimates", json=_home(places[0]), headers=bearer(key), timeout=30
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
    port = _free_port()
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
