"""A cut bundle never reaches a process that would crash on it.

Replayed from a probe of the service: a `model.txt` cut in half behind an intact
metadata.json made every gunicorn worker segfault (185 restarts in 33 s, 584 of 673
requests reset). Now `promote` refuses it, a pointer moved by hand to it leaves every
worker on the old model (0 failed requests), and a start with it serves the last good
version.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import requests

from model import integrity, registry
from model.probe import BundleUnusable
from tests.integration.api_helpers import PLACES, bearer, create_key
from tests.integration.gunicorn_helpers import (
    copy_version,
    estimates_until,
    gunicorn,
    home_body,
    serving_home,
)


def _cut(folder, keep_sums=True):
    """Cut model.txt in half; with `keep_sums` the metadata still records the whole file."""
    model = folder / "model.txt"
    text = model.read_bytes()
    model.write_bytes(text[: len(text) // 2])
    if not keep_sums:
        meta = json.loads((folder / "metadata.json").read_text())
        meta["checksums"] = integrity.checksums(folder)
        (folder / "metadata.json").write_text(json.dumps(meta))


@pytest.fixture()
def home(model_home, tmp_path):
    home = tmp_path / "home"
    return home, serving_home(model_home, home)


def test_promote_refuses_a_cut_bundle_with_or_without_matching_sums(home, runner):
    from training.cli import main

    home, old = home
    models = home / "models"
    _cut(copy_version(models, old, "cut", copied=("model.txt",)))
    # Sums recomputed over the cut file: only loading it tells (in a child, which crashes).
    _cut(copy_version(models, old, "cut-resummed", copied=("model.txt",)), keep_sums=False)
    result = runner.invoke(main, ["--home", str(home), "promote", "cut", "--force"])
    assert result.exit_code == 1
    assert "cannot serve" in result.output and "model.txt: checksum differs" in result.output
    with pytest.raises(BundleUnusable, match="crashed the process|cannot serve"):
        registry.promote(models, "cut-resummed", force=True)
    assert registry.read_champion(models) == old
    assert (models / old / "model.txt").stat().st_size > (
        models / "cut" / "model.txt"
    ).stat().st_size


def _refusals(text: str) -> list[tuple[str, str]]:
    """(worker pid, version still served) of each worker's refusal of the cut champion."""
    return re.findall(
        r"\[(\d+)\] \[ERROR\] cannot load model cut: CorruptBundle: .*model.txt: checksum "
        r"differs.*still serving (\S+)",
        text,
    )


@pytest.mark.slow
def test_a_cut_champion_under_load_resets_nothing_and_the_old_model_serves(home, tmp_path):
    home, old = home
    models = home / "models"
    key = create_key(home, "Agence sous charge", rate_limit=1_000_000)
    covered = json.loads((models / old / "metadata.json").read_text())["departements"]
    places = [place for dep, place in PLACES.items() if dep in covered]
    log = tmp_path / "gunicorn.log"
    with gunicorn(home, log, IMMOVAL_LOG_LEVEL="info") as (server, base):
        results: list[tuple[int, str | None]] = []
        stop = threading.Event()
        clients = [
            threading.Thread(target=estimates_until, args=(base, key, places, stop, results))
            for _ in range(6)
        ]
        for t in clients:
            t.start()
        time.sleep(1.0)
        _cut(copy_version(models, old, "cut", copied=("model.txt",)))
        registry.write_pointer(models, "cut")  # by hand: promote would refuse it
        time.sleep(4.0)  # 20 pointer checks per worker
        stop.set()
        for t in clients:
            t.join(timeout=60)
        # New connections until every worker has been asked since the cut and said so (the
        # kernel picks the worker of each connection: a fixed count may miss one).
        deadline = time.monotonic() + 60
        while True:
            r = requests.get(f"{base}/health", headers={"Connection": "close"}, timeout=30)
            results.append((r.status_code, r.json()["model_version"]))
            if len(set(_refusals(log.read_text()))) == 2 or time.monotonic() > deadline:
                break
        assert server.poll() is None
    text = log.read_text()
    print(f"{len(results)} requests during the cut promotion")
    assert len(results) > 50
    assert {status for status, _ in results} == {200}, [r for r in results if r[0] != 200][:5]
    assert {version for _, version in results} == {old}
    # No worker died and was replaced; each said which version it refused, and why.
    assert len(re.findall(r"worker \d+ ready", text)) == 2, text[-3000:]
    assert "WORKER TIMEOUT" not in text and "was sent" not in text
    refusals = _refusals(text)
    assert {v for _, v in refusals} == {old}, text[-3000:]
    assert len({pid for pid, _ in refusals}) == 2, refusals  # each worker said it

    # Restarted with the cut champion: the last good version serves, and the log says so.
    with gunicorn(home, log, IMMOVAL_LOG_LEVEL="info") as (server, base):
        health = requests.get(f"{base}/health", timeout=5).json()
        answer = requests.post(
            f"{base}/estimates", json=home_body(places[0]), headers=bearer(key), timeout=30
        )
    assert health["model_version"] == old
    assert answer.status_code == 200 and answer.headers["X-Model-Version"] == old
    text = log.read_text()
    assert "cannot load the champion cut: CorruptBundle" in text, text[-3000:]
    assert f"serving model {old}, the last good version, instead of the champion cut" in text
