"""What a client sent stays out of the error log."""

from __future__ import annotations

import logging

import pytest

from app.security_logs import Scrub, scrub

SECRET = "12 rue Secrète 75004 Paris"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            "Invalid request from ip=127.0.0.1: Invalid HTTP request line: "
            f"'GET /?address={SECRET}'",
            "Invalid request from ip=127.0.0.1: Invalid HTTP request line (content not logged)",
        ),
        (
            f"Invalid request from ip=::1: Invalid HTTP Header: 'X-Adresse: {SECRET}'",
            "Invalid request from ip=::1: Invalid HTTP Header (content not logged)",
        ),
        (
            f"Invalid request from ip=10.0.0.1: Invalid HTTP method: '{SECRET}'",
            "Invalid request from ip=10.0.0.1: Invalid HTTP method (content not logged)",
        ),
        (
            "Error handling request GET /api/v1/comparables?address=12+rue+Secr%C3%A8te&r=1",
            "Error handling request GET /api/v1/comparables?…",
        ),
        ("worker 12 ready", "worker 12 ready"),
        ("switched to model v2 (was v1)", "switched to model v2 (was v1)"),
    ],
)
def test_scrub_keeps_the_kind_of_error_and_drops_what_was_sent(line, kept):
    assert scrub(line) == kept
    assert "Secr" not in scrub(line)


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s %s",
        ("GET", f"/estimation?address={SECRET.replace(' ', '+')}"), None,
    )  # fmt: skip
    assert Scrub().filter(record)
    assert record.getMessage() == "Error handling request GET /estimation?…"
