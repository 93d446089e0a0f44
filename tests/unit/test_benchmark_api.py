"""benchmarks/api.py reads the time each request spent in a worker from gunicorn's access
log, in the format app/gunicorn_conf.py writes."""

from __future__ import annotations

import ast
from pathlib import Path

from benchmarks.api import worker_seconds

ROOT = Path(__file__).resolve().parents[2]


def configured_format() -> str:
    """`access_log_format` of app/gunicorn_conf.py, read without importing it (importing
    sets the process's OpenMP threads)."""
    tree = ast.parse((ROOT / "app" / "gunicorn_conf.py").read_text())
    for node in tree.body:
        targets = [ast.unparse(t) for t in getattr(node, "targets", ())]
        if isinstance(node, ast.Assign) and targets == ["access_log_format"]:
            return ast.literal_eval(node.value)
    raise AssertionError("no access_log_format in app/gunicorn_conf.py")


def access_line(method: str, path: str, status: int, size: str, ms: int) -> str:
    """One line as gunicorn writes it with the project's format."""
    atoms = {"h": "127.0.0.1", "t": "[03/Dec/2026:13:41:09 +0000]", "m": method, "U": path,
             "s": str(status), "B": size, "M": str(ms), "a": "python"}  # fmt: skip
    return configured_format() % atoms


def test_only_answered_estimates_count_in_seconds():
    lines = [
        access_line("POST", "/api/v1/estimates", 200, "5321", 17),
        access_line("POST", "/api/v1/estimates", 429, "120", 1),
        access_line("GET", "/api/v1/health", 200, "40", 0),
        access_line("POST", "/api/v1/estimates/batch", 200, "-", 900),
        access_line("POST", "/api/v1/estimates", 200, "-", 1234),
        "[2026-12-03 13:41:09 +0000] [1234] [INFO] worker 1234 ready",
    ]
    assert worker_seconds(lines, "/api/v1/estimates") == [0.017, 1.234]


def test_a_log_without_requests_gives_nothing():
    assert worker_seconds([], "/api/v1/estimates") == []
    assert worker_seconds(["not an access line"], "/api/v1/estimates") == []
