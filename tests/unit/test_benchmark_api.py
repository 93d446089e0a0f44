"""benchmarks/api.py reads the time each request spent in a worker from gunicorn's access
log, in the format app/gunicorn_conf.py writes."""

from __future__ import annotations

import ast
from pathlib import Path

from benchmarks.api import median_round, worker_seconds

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


def test_throughput_ratios_are_taken_within_each_round():
    # The machine slows down and speeds up: health and the estimates drift together.
    def round_of(health, explained, plain):
        return {"health": {"rate": health}, "explained": {"rate": explained},
                "plain": {"rate": plain}}  # fmt: skip

    rounds = [round_of(2000, 300, 700), round_of(1000, 150, 350), round_of(1500, 150, 300)]
    figures = median_round(rounds)
    # The ratio of the median rates (350 / 1500) would say 23 %.
    assert figures["ratios"]["plain"] == 0.35
    assert figures["ratios"]["explained"] == 0.15
    assert figures["rates"] == {"health": 1500, "explained": 150, "plain": 350}
