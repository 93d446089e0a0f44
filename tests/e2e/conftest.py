"""Browser tests: gunicorn serves the site on the small real model; headless Chromium
(Debian's) visits it through Playwright; axe-core (vendored) checks each page."""

from __future__ import annotations

import json
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
AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
# Served to the test browser under the site's own origin, so the page's CSP lets it run.
AXE_PATH = "/__tests__/axe.min.js"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}


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


class Visit:
    """One browser context on the site: tiles refused (no internet), console errors kept,
    axe-core at hand."""

    def __init__(self, browser, url: str, device: dict):
        self.url = url
        self.context = browser.new_context(locale="fr-FR", **device)
        self.context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
        self.context.route(url + AXE_PATH, lambda route: route.fulfill(path=str(AXE)))
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" and "tile.openstreetmap.org" not in text:
            if "ERR_FAILED" not in text:
                self.problems.append(text)

    def goto(self, path: str):
        self.page.goto(self.url + path)
        return self.page

    def axe_violations(self) -> list[str]:
        """axe-core's violations on the page as it is now (WCAG 2.1 A and AA rules)."""
        self.page.add_script_tag(url=self.url + AXE_PATH)
        found = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {
                    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "best-practice"]},
                    resultTypes: ["violations"],
                });
                return r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}));
            }"""
        )
        return [json.dumps(v, ensure_ascii=False) for v in found]

    def screenshot(self, folder: Path, name: str) -> Path:
        path = folder / name
        self.page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def desktop(server, browser):
    visit = Visit(browser, server[0], DESKTOP)
    yield visit
    visit.close()


@pytest.fixture()
def phone(server, browser):
    visit = Visit(browser, server[0], PHONE)
    yield visit
    visit.close()


def estimate(page, address: str, kind: str, area: str, rooms: str) -> None:
    """Fill the form and submit it, as a person would."""
    page.get_by_label("Adresse du bien").fill(address)
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Surface habitable (m²)").fill(area)
    page.get_by_label("Pièces principales").fill(rooms)
    with page.expect_navigation():
        page.get_by_role("button", name="Estimer mon bien").click()
