"""Rate limits in fixed windows, counted in the app database so every worker sees them.

Used per API key by the API and per client IP by the site's form:

    retry_after = check_rate(f"form:{client_ip()}", limit=20, window=60)
    if retry_after is not None: ...  # answer 429 with a Retry-After header

or, on a view, `@limit_per_ip("form")` (limits from `FORM_RATE_LIMIT` / `FORM_RATE_WINDOW`).

A fixed window lets a client send up to twice its limit around a window boundary:
acceptable for metering, and much cheaper than a sliding log. Writing to the
database on every request would cost more than an estimate, so each process counts
locally and writes its count (one UPSERT that returns the total of all workers)
when it first sees a window, every `SYNC_SECONDS`, and on every request once the
total nears the limit: far from the limit a request costs no I/O, near it the count
is exact. Other workers may be unaware of at most `SYNC_SECONDS` of a worker's
requests. When the database cannot be reached the request is let through (and
logged): limits protect the service, they must not take it down.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import select, text, update
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database, get_db, rate_windows
from app.errors import error_response, wants_json

log = logging.getLogger(__name__)

SYNC_SECONDS = 0.5
# Below this share of its limit a bucket is counted locally between synchronisations.
LOCAL_SHARE = 0.5

# One statement for SQLite and PostgreSQL: add to this window, or start a new one.
_UPSERT = text(
    "INSERT INTO rate_windows (bucket, window_start, count) VALUES (:bucket, :start, :cost) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "count = CASE WHEN rate_windows.window_start = excluded.window_start "
    "THEN rate_windows.count + excluded.count ELSE excluded.count END, "
    "window_start = excluded.window_start "
    "RETURNING count"
)


@dataclass(frozen=True)
class RateDecision:
    """The outcome of counting one request against a limit."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window ends

    @property
    def retry_after(self) -> int | None:
        return None if self.allowed else self.reset_after


def _window(now: float, window: int) -> tuple[int, int]:
    start = int(now // window * window)
    return start, max(1, math.ceil(start + window - now))


def hit(
    db: Database, bucket: str, limit: int, window: int, *, cost: int = 1, now: float | None = None
) -> RateDecision:
    """Count `cost` requests in `bucket`'s window in the database (exact) and decide."""
    now = time.time() if now is None else now
    start, reset_after = _window(now, window)
    try:
        count = _add(db, bucket[:200], start, cost)
    except (SQLAlchemyError, OSError):
        log.exception("rate limit store unavailable; letting the request through")
        return RateDecision(True, limit, limit, reset_after)
    return RateDecision(count <= limit, limit, max(0, limit - count), reset_after)


def _add(db: Database, bucket: str, window_start: int, cost: int) -> int:
    """Add `cost` to the bucket's window (a new window starts from zero); the new total."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name in ("sqlite", "postgresql"):
            return conn.execute(
                _UPSERT, {"bucket": bucket, "start": window_start, "cost": cost}
            ).scalar_one()
        # Other databases: read then write in one transaction (may undercount under races).
        row = conn.execute(
            select(rate_windows.c.window_start, rate_windows.c.count).where(
                rate_windows.c.bucket == bucket
            )
        ).first()
        if row is None:
            conn.execute(
                rate_windows.insert().values(bucket=bucket, window_start=window_start, count=cost)
            )
            return cost
        count = row.count + cost if row.window_start == window_start else cost
        conn.execute(
            update(rate_windows)
            .where(rate_windows.c.bucket == bucket)
            .values(window_start=window_start, count=count)
        )
        return count


@dataclass
class _Local:
    window_start: int
    total: int = 0  # all workers' count at the last synchronisation
    pending: int = 0  # this process's requests not yet written
    synced_at: float = -math.inf


class RateLimiter:
    """Counts requests per bucket in this process, synchronised with the database."""

    def __init__(
        self, db: Database, sync_seconds: float = SYNC_SECONDS, local_share: float = LOCAL_SHARE
    ):
        self.db = db
        self.sync_seconds = sync_seconds
        self.local_share = local_share
        self._buckets: dict[str, _Local] = {}
        self._lock = threading.Lock()

    def hit(
        self, bucket: str, limit: int, window: int, *, cost: int = 1, now: float | None = None
    ) -> RateDecision:
        """Count `cost` requests in `bucket` and say whether they fit in its limit."""
        now = time.time() if now is None else now
        start, reset_after = _window(now, window)
        bucket = bucket[:200]
        with self._lock:
            local = self._buckets.get(bucket)
            if local is None or local.window_start != start:
                if len(self._buckets) > 100_000:  # many IPs: forget past windows
                    self._buckets = {
                        k: v for k, v in self._buckets.items() if v.window_start == start
                    }
                local = self._buckets[bucket] = _Local(start)
            estimated = local.total + local.pending + cost
            if now - local.synced_at < self.sync_seconds and estimated <= limit * self.local_share:
                local.pending += cost
                return RateDecision(True, limit, limit - estimated, reset_after)
            to_write, local.pending = local.pending + cost, 0
            local.synced_at = now
        try:
            total = _add(self.db, bucket, start, to_write)
        except (SQLAlchemyError, OSError):
            log.exception("rate limit store unavailable; letting the request through")
            return RateDecision(True, limit, max(0, limit - estimated), reset_after)
        with self._lock:
            if local.window_start == start:
                local.total = max(local.total, total)
        return RateDecision(total <= limit, limit, max(0, limit - total), reset_after)


def get_limiter() -> RateLimiter:
    """The rate limiter of the current app (one per process)."""
    limiter = current_app.extensions.get("immoval.limiter")
    if limiter is None:
        limiter = current_app.extensions["immoval.limiter"] = RateLimiter(get_db())
    return limiter


def prune(db: Database, older_than: float, *, now: float | None = None) -> int:
    """Forget windows that ended more than `older_than` seconds ago."""
    now = time.time() if now is None else now
    with db.engine.begin() as conn:
        result = conn.execute(
            rate_windows.delete().where(rate_windows.c.window_start < now - older_than)
        )
    return result.rowcount or 0


def check_rate(bucket_key: str, limit: int, window: int, *, cost: int = 1) -> int | None:
    """Count a request of the current app; the seconds to wait when over the limit, else None."""
    return get_limiter().hit(bucket_key, limit, window, cost=cost).retry_after


def client_ip() -> str:
    """The client's address (behind a proxy, wrap the app in werkzeug's ProxyFix)."""
    return request.remote_addr or "unknown"


def limit_per_ip(name: str):
    """Decorate a view: answer 429 + Retry-After when this IP exceeds the `name` limit.

    Limits come from config `<NAME>_RATE_LIMIT` and `<NAME>_RATE_WINDOW` (e.g. FORM_…).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            prefix = name.upper()
            limit = int(current_app.config[f"{prefix}_RATE_LIMIT"])
            window = int(current_app.config[f"{prefix}_RATE_WINDOW"])
            retry_after = check_rate(f"{name}:ip:{client_ip()}", limit, window)
            if retry_after is not None:
                return too_many_requests(retry_after)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def too_many_requests(retry_after: int, message: str | None = None):
    """A 429 answer in the client's format, with its Retry-After header."""
    if message is None:
        message = (
            f"rate limit exceeded: retry in {retry_after} s"
            if wants_json()
            else f"Trop de demandes depuis votre connexion : réessayez dans {retry_after} secondes."
        )
    response, status = error_response(429, message, retry_after=retry_after)
    response = current_app.make_response((response, status))
    response.headers["Retry-After"] = str(retry_after)
    return response
