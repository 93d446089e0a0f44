"""End to end: gunicorn serves the site on the small real model; headless Chromium uses it."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(model_home, tmp_path_factory):
    """gunicorn with the project's settings, on a free port of 127.0.0.1."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = dict(
        os.environ,
        IMMOVAL_HOME=str(model_home),
        IMMOVAL_GEOCODER_URL="",
        IMMOVAL_SECRET_KEY=secrets.token_hex(16),
        PORT=str(port),
        WEB_CONCURRENCY="1",
        IMMOVAL_THREADS="2",
        # The limit counts in the home's database, which other tests may have used.
        IMMOVAL_FORM_RATE_LIMIT="10000",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "-c",
                "app/gunicorn_conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("gunicorn did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.3)
    yield url, log
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_a_homeowner_in_paris_gets_a_full_result_page(server, browser, tmp_path):
    url, log = server
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    # No internet here: map tiles fail fast instead of hanging the page.
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error"
            and "tile.openstreetmap.org" not in m.text
            and "ERR_FAILED" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(url + "/")
    address = page.get_by_label("Adresse du bien")
    address.press_sequentially("12 rue de Rivoli 75004", delay=20)
    # Suggestions arrive as you type (the page's script, through the site).
    # (Locators, not evaluated strings: the page's CSP forbids eval, even to the test.)
    options = page.locator("#address-suggestions option")
    options.first.wait_for(state="attached", timeout=10_000)
    suggestions = [o.get_attribute("value") for o in options.all()]
    assert any("Rivoli" in s for s in suggestions)
    address.fill("12 rue de Rivoli 75004 Paris")
    page.get_by_label("Appartement", exact=True).check()
    page.get_by_label("Surface habitable (m²)").fill("62")
    rooms = page.get_by_label("Pièces principales")
    rooms.fill("3")
    with page.expect_navigation():
        rooms.press("Enter")  # the keyboard submits the form

    value = page.locator("#estimate-value")
    assert value.is_visible()
    assert "€" in value.inner_text()
    rows = page.locator("#comparables-table tbody tr")
    assert rows.count() > 0
    map_box = page.locator("#map")
    assert map_box.is_visible()
    # Leaflet (shipped with the app) built the map with one marker per comparable + the home.
    page.wait_for_selector("#map.leaflet-container")
    assert page.locator("#map path.leaflet-interactive").count() == rows.count() + 1
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'result.png'}")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems

    # The export is a real download of CSV.
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV").click()
    saved = tmp_path / "comparables.csv"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8-sig").startswith("date,property_type")

    # Nothing in the server's logs says where the user lives.
    assert "Rivoli" not in log.read_text()
    context.close()


def test_the_result_page_fits_a_phone(server, browser, tmp_path):
    url, _ = server
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    page.goto(url + "/")
    page.get_by_label("Adresse du bien").fill("12 rue de Rivoli 75004 Paris")
    page.get_by_label("Maison", exact=True).check()
    page.get_by_label("Surface habitable (m²)").fill("95")
    page.get_by_label("Pièces principales").fill("4")
    with page.expect_navigation():
        page.get_by_role("button", name="Estimer mon bien").click()
    assert page.locator("#estimate-value").is_visible()
    # No sideways scrolling of the page: wide tables scroll inside their own box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    page.screenshot(path=str(tmp_path / "result-phone.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'result-phone.png'}")
    context.close()
