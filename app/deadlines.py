"""Per-request deadlines: gthread workers never interrupt a request (gunicorn's --timeout
does not apply to them), so the work of a request checks its own clock.

`start()` runs before each request (API and site); the views that loop over costly
work (a batch's geocoding and estimates) stop at `expired()` and answer what was not
done as per-item errors. One step may overrun the deadline by its own worst case.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import Flask, current_app, g


@dataclass(frozen=True)
class Deadline:
    """A point in monotonic time that a request's work must not pass."""

    seconds: float
    at: float = field(default=0.0)

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


def start() -> None:
    """Before each request: its deadline, `REQUEST_DEADLINE_SECONDS` from now."""
    g.deadline = Deadline.after(float(current_app.config["REQUEST_DEADLINE_SECONDS"]))


def current() -> Deadline:
    """The current request's deadline (a fresh one outside a request's hooks)."""
    deadline = g.get("deadline")
    if deadline is None:
        start()
        deadline = g.deadline
    return deadline


def init_app(app: Flask) -> None:
    app.before_request(start)
