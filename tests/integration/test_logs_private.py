"""Gunicorn as in the Procfile: malformed requests carrying an address leave no trace of
it in the log, and the app's own lines (the model served) reach that log."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from tests.integration.gunicorn_helpers import gunicorn, serving_home

SECRET = "Secrete"
MALFORMED = [
    f"GET /api/v1/comparables?address=12 rue {SECRET} HTTP/1.1\r\n\r\n",  # spaces: bad line
    f"GET /?address=12+rue+{SECRET}\x01 HTTP/1.1\r\n\r\n",
    f"{SECRET}() /x HTTP/1.1\r\n\r\n",  # bad method
    f"GET / HTTP/1.1\r\nHost: x\r\nX-Adresse\x7f: 12 rue {SECRET}\r\n\r\n",  # bad header
    f"GET / HTTP/9.{SECRET}\r\n\r\n",
]


def _send(base: str, raw: str) -> bytes:
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(raw.encode("latin-1"))
        return s.recv(200)


@pytest.mark.slow
def test_malformed_requests_with_an_address_are_logged_without_it(model_home, tmp_path):
    home = tmp_path / "home"
    version = serving_home(model_home, home)
    log = tmp_path / "gunicorn.log"
    with gunicorn(home, log, IMMOVAL_LOG_LEVEL="info") as (_, base):
        answers = [_send(base, raw) for raw in MALFORMED]
    assert all(a.startswith(b"HTTP/1.1 400") for a in answers), answers
    text = log.read_text()
    assert text.count("Invalid request from ip=127.0.0.1") == len(MALFORMED), text[-3000:]
    assert SECRET not in text and "12 rue" not in text and "12+rue" not in text, [
        line for line in text.splitlines() if SECRET in line
    ]
    # The app's logger writes to the same log: the model each process serves.
    assert f"serving model {version}" in text
