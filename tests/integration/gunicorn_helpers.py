"""Gunicorn started as the Procfile starts it, on loopback, for the tests under load."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import requests

from app.gunicorn_command import start_local, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving_home(model_home: Path, home: Path) -> str:
    """A copy of `model_home`'s champion (hard links) promoted in `home`; its version."""
    from model.registry import promote, read_champion

    (home / "models").mkdir(parents=True)
    version = read_champion(model_home / "models")
    shutil.copytree(
        model_home / "models" / version, home / "models" / version, copy_function=os.link
    )
    promote(home / "models", version)
    if (model_home / "prepared").is_dir():
        (home / "prepared").symlink_to(model_home / "prepared")
    return version


def copy_version(models: Path, version: str, new: str, copied: tuple[str, ...] = ()) -> Path:
    """Register `version`'s bundle again as `new`: hard links, but `copied` files and
    metadata.json are real copies (so that changing them leaves `version` intact)."""
    shutil.copytree(models / version, models / new, copy_function=os.link)
    for name in (*copied, "metadata.json"):
        path = models / new / name
        content = path.read_bytes()
        path.unlink()
        path.write_bytes(content)
    meta_path = models / new / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["version"] = new
    meta_path.write_text(json.dumps(meta))
    return models / new


@contextmanager
def gunicorn(home: Path, log: Path | None = None, **env_extra: str):
    """Gunicorn as in the Procfile on a free loopback port; yields (process, API base URL)."""
    port = free_port()
    env = {
        "WEB_CONCURRENCY": "2",
        "IMMOVAL_THREADS": "4",
        "IMMOVAL_GEOCODER_URL": '""',
        "IMMOVAL_MODEL_CHECK_SECONDS": "0.2",
        "IMMOVAL_LOG_LEVEL": "warning",
        # Tests loading the server with one key's many threads: no per-key cap on threads,
        # unless the test is about it.
        "IMMOVAL_API_KEY_CONCURRENCY": "0",
        "IMMOVAL_DATABASE_URL": None,  # the home's own database
        **env_extra,
    }
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    server = start_local(home, port, env, output)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_until_healthy(server, port, timeout=90)
        yield server, base
    finally:
        # TERM to the master alone: it stops its workers gracefully. A TERM to the whole
        # group would reach a worker twice (from here and from the master), and the second
        # one, during its exit, kills it by the signal: the log would say so.
        if server.poll() is None:
            os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        if log:
            output.close()


def estimates_until(base, key, places, stop, results) -> None:
    """POST /estimates in a loop until `stop` is set: (status, model version) or (0, error)
    appended to `results` for each request."""
    session = requests.Session()
    n = len(results)
    body = home_body(places[n % len(places)], living_area_m2=40 + n % 30)
    while not stop.is_set():
        try:
            r = session.post(
                f"{base}/estimates",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=60,
            )
            results.append((r.status_code, r.headers.get("X-Model-Version")))
        except requests.RequestException as exc:
            results.append((0, repr(exc)))


def home_body(place, **extra) -> dict:
    return {
        "property_type": "apartment",
        "living_area_m2": 45,
        "rooms": 2,
        "latitude": place[0],
        "longitude": place[1],
        **extra,
    }
