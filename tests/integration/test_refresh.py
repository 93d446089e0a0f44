"""`immoval refresh` on the shared data published as two releases: Chartres' sales up to
2023-12, then up to 2024-12 (the mirror gains its 2024 DVF file, as DVF is republished).

One home goes through the story: the first release is served; the second one's challenger,
trained with one tree, is refused for its figures on the same newest sales as the
champion as deployed; retrained properly, its refresh is killed during training, resumes,
and is promoted while gunicorn serves the home (no request dropped, old version then new).
"""

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

from model import registry
from model.integrity import CorruptBundle, verify
from model.settings import layout
from tests.integration.api_helpers import create_key
from tests.integration.gunicorn_helpers import estimates_until, gunicorn
from training import refresh as core
from training.champion import sales_digest
from training.train import clean_sales, read_sales

DVF = "geo-dvf/latest/csv/{year}/departements/28.csv.gz"
CHARTRES = (48.4469, 1.4892)
IMMOVAL = Path(sys.executable).with_name("immoval")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def _refresh(home: Path, mirror: Path, *extra: str) -> list[str]:
    return [str(IMMOVAL), "--home", str(home), "refresh", "--departements", "28",
            "--years", "2021-2024", "--source", str(mirror), *extra]  # fmt: skip


def _run(home, mirror, *extra, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        _refresh(home, mirror, *extra), capture_output=True, text=True, timeout=timeout
    )


def _publish(mirror: Path, shared: Path, year: int) -> None:
    target = mirror / DVF.format(year=year)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(shared / DVF.format(year=year))


def _state(home: Path) -> dict:
    return json.loads((home / core.STATE_DIR / core.STATE_FILE).read_text())


@pytest.fixture(scope="module")
def story(shared_data, tmp_path_factory):
    """The first release refreshed (served), then the second one with a one-tree
    challenger (refused): the home, the mirror and both refreshes' results."""
    root = tmp_path_factory.mktemp("refresh")
    mirror, home = root / "mirror", root / "home"
    for year in (2021, 2022, 2023):
        _publish(mirror, shared_data, year)
    for folder in ("ssmsi", "cameras", "communes"):
        (mirror / folder).symlink_to(shared_data / folder, target_is_directory=True)
    first = _run(home, mirror, "--n-estimators", "30")
    champion = registry.read_champion(home / "models")
    _publish(mirror, shared_data, 2024)
    bad = _run(home, mirror, "--n-estimators", "1")
    return {"mirror": mirror, "home": home, "first": first, "bad": bad, "champion": champion}


def test_first_release_is_served_and_a_bad_challenger_is_refused_on_the_newest_sales(story):
    home, models = story["home"], story["home"] / "models"
    first, bad, champion = story["first"], story["bad"], story["champion"]
    assert first.returncode == core.EXIT_OK, first.stdout + first.stderr
    # One line per step, and the run's status.
    assert [line.split(":")[0] for line in first.stdout.splitlines()] == [
        *(f"refresh {step}" for step in core.STEPS),
        "refresh",
    ]
    assert registry.read_metadata(models, champion)["data_until"].startswith("2023-12")
    assert bad.returncode == core.EXIT_REFUSED, bad.stdout + bad.stderr
    assert registry.read_champion(models) == champion  # still served
    challenger = _state(home)["steps"]["train"]["outputs"]["version"]
    meta = registry.read_metadata(models, challenger)
    comparison = meta["champion_comparison"]
    assert comparison["champion"] == champion and comparison["period"][0] == "2024-01-01"
    # The same sales for both: every clean 2024 sale, found here independently.
    sales, _ = clean_sales(read_sales(layout(home)))
    newest = sales.loc[sales["date"] >= "2024-01-01", "mutation_id"]
    assert comparison["sales"] == len(newest) > 500
    assert comparison["sales_sha256"] == sales_digest(newest)
    # Refused for its figures on those sales, each one said.
    champ, chall = (comparison["results"][k]["overall"] for k in ("champion", "challenger"))
    assert chall["mdape"] > champ["mdape"] + 0.005
    assert "champion as deployed" in bad.stdout and "MdAPE" in bad.stdout
    assert "FAILED" in bad.stdout and "refused:" in bad.stdout
    steps = [line.split(":")[0] for line in bad.stdout.splitlines() if line.startswith("refresh")]
    assert steps == [*(f"refresh {step}" for step in core.STEPS), "refresh"]
    assert bad.stdout.splitlines()[-1] == f"refresh: exit {core.EXIT_REFUSED}"


def test_the_report_shows_both_releases_and_opens_in_chromium(story, runner, tmp_path):
    from training.cli import main

    home, models = story["home"], story["home"] / "models"
    first, second = story["champion"], registry.list_versions(models)[-1]["version"]
    _log_requests(home, [(200, 40.0)] * 6 + [(422, 12.0), (422, 11.0), (429, 1.0), (503, 900.0)])
    output = tmp_path / "report.html"
    result = runner.invoke(
        main, ["--home", str(home), "report", second, "--against", first, "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert first in text and second in text and "2023-12" in text and "2024-12" in text
    # The usage log: outcomes counted from the statuses, latency percentiles.
    assert "<td>répondu</td>\n      <td>6</td>" in text
    assert "<td>refus : hors couverture</td>\n      <td>2</td>" in text
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: the report was written but not opened")
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requested.append(r.url))
        page.goto(output.as_uri())
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])"
        )
        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.id)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    # Self-contained: nothing fetched but the file and its embedded figures.
    assert {url.split(":")[0] for url in requested} <= {"file", "data"}, requested
    assert headings == ["volumes", "marche", "derive", "precision", "usage"]
    # Volumes, market, drift, accuracy: each figure decoded, wide enough to read, described.
    assert len(images) == 5 and all(done and width >= 600 and alt for done, width, alt in images)


def _log_requests(home: Path, requests_made: list[tuple[int, float]]) -> None:
    """Rows of the app's usage log, as the API writes them."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from app.db import database_url, make_engine, usage

    engine = make_engine(database_url(home))
    rows = [{"at": datetime.now(UTC), "key_id": None, "endpoint": "estimates", "method": "POST",
             "status": status, "latency_ms": ms, "model_version": "v", "item_count": 1}
            for status, ms in requests_made]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(usage), rows)
    engine.dispose()


def test_an_interrupted_refresh_resumes_and_the_site_switches_without_dropping(story, tmp_path):
    home, mirror, models = story["home"], story["mirror"], story["home"] / "models"
    old = registry.read_champion(models)
    versions = {v["version"] for v in registry.list_versions(models)}
    # Killed (SIGKILL: no clean-up at all) while it trains.
    process = subprocess.Popen(
        _refresh(home, mirror, "--n-estimators", "30"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _state(home)["steps"].get("train", {}).get("status") != "running":
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert registry.read_champion(models) == old
    assert {v["version"] for v in registry.list_versions(models)} == versions
    assert not _state(home)["finished"]

    key = create_key(home, "Agence de Chartres", rate_limit=1_000_000)
    with gunicorn(home, tmp_path / "gunicorn.log") as (server, base):
        seen: list = []
        stop = threading.Event()
        poller = threading.Thread(target=estimates_until, args=(base, key, [CHARTRES], stop, seen))
        poller.start()
        resumed = _run(home, mirror, "--n-estimators", "30")
        new = registry.read_champion(models)
        deadline = time.monotonic() + 30
        while (not seen or seen[-1][1] != new) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        poller.join(timeout=30)
    assert resumed.returncode == core.EXIT_OK, resumed.stdout + resumed.stderr
    lines = resumed.stdout.splitlines()
    assert lines[0].startswith("refresh: resuming the run of")
    assert lines[1].startswith("refresh fetch: skipped") and "prepare: skipped" in lines[2]
    assert new != old and new not in versions
    assert {status for status, _ in seen} == {200}, [s for s in seen if s[0] != 200][:3]
    served = [version for _, version in seen]
    # The old champion until the switch, then the new one: never back, never nothing.
    switch = served.index(new)
    assert set(served[:switch]) == {old} and set(served[switch:]) == {new}, served
    assert switch > 0

    # The promoted challenger was compared on the newest sales with the champion as
    # deployed. Both know the same sales (up to 2023-12, identical in both releases) and
    # share code and seed, so the serving path's features must equal training's: the
    # models' own figures are the same to the last digit (any difference is a
    # serving/training skew). Each side's calibration by level was learnt on another period.
    meta = registry.read_metadata(models, new)
    results = meta["champion_comparison"]["results"]
    for name in ("mdape", "pe10", "pe20", "median_ratio", "cod"):
        assert results["champion_uncalibrated"]["overall"][name] == pytest.approx(
            results["challenger_uncalibrated"]["overall"][name], abs=1e-12
        ), name
    assert results["champion"]["overall"]["sales"] == results["challenger"]["overall"]["sales"]
    # Its model card is in the bundle, covered by the checksums.
    card = (models / new / "model_card.md").read_text()
    assert "## Face au champion" in card and meta["training_window"][0] in card
    assert "model_card.md" in meta["checksums"]
    (models / new / "model_card.md").write_text(card + "edited\n")
    with pytest.raises(CorruptBundle, match="model_card.md"):
        verify(models / new, meta)
    (models / new / "model_card.md").write_text(card)


def test_a_second_refresh_exits_or_waits_while_one_runs(story):
    home, mirror = story["home"], story["mirror"]
    before = (home / core.STATE_DIR / core.STATE_FILE).read_bytes()
    with core.lock(home):
        refused = _run(home, mirror, "--n-estimators", "30")
        assert refused.returncode == core.EXIT_LOCKED
        assert f"another refresh is running in {home} (pid {os.getpid()}" in refused.stderr
        assert (home / core.STATE_DIR / core.STATE_FILE).read_bytes() == before
        waiting = subprocess.Popen(
            _refresh(home, mirror, "--wait", "--n-estimators", "30"),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert waiting.stdout.readline().startswith("refresh: waiting for the refresh running")
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting
    output, _ = waiting.communicate(timeout=120)
    assert waiting.returncode in (core.EXIT_OK, core.EXIT_REFUSED), output
    assert "refresh promote:" in output
