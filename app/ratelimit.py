"""Rate limits in fixed windows, counted in the app database so every worker sees them.

Used per API key by the API and per client IP by the site's form:

    retry_after = check_rate(f"form:{client_ip()}", limit=20, window=60)
    if retry_after is not None: ...  # answer 429 with a Retry-After header

or, on a view, `@limit_per_ip("form")` (limits from `FORM_RATE_LIMIT` / `FORM_RATE_WINDOW`).

A request has a cost (a batch: its number of items). Admission is one atomic statement
in the database (an UPSERT that adds the cost only if the window's total stays within
the limit, and returns the total): exact across workers and threads, and a refused
request costs nothing. A fixed window lets a client send up to twice its limit around a
window boundary: acceptable for metering, and much cheaper than a sliding log.

When the database cannot answer (locked, read-only, unreachable) a request is let
through and the failure logged once per minute: limits protect the service, they must
not take it down (see docs/ARCHITECTURE.md, "Degraded dependencies").
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from dataclasses import dataclass

from flask import current_app, request
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.db import Database, get_db, rate_windows
from app.errors import error_response, wants_json

log = logging.getLogger(__name__)

# How often a failing store is logged (each request would otherwise log it).
FAILURE_LOG_SECONDS = 60.0
# After a failure, requests go through without asking the store for this long: a locked
# database then costs one busy timeout per second and process, not one per request.
STORE_RETRY_SECONDS = 1.0

# One statement for SQLite (3.24+) and PostgreSQL: add the cost to this window if it
# fits (or start a new window); it changes no row when the cost does not fit. No RETURNING:
# SQLite then ends the statement, and its write lock, inside the one call that runs it
# (with RETURNING the lock lasts until the row is fetched, a wait for the GIL later).
_ADMIT = text(
    "INSERT INTO rate_windows (bucket, window_start, count) VALUES (:bucket, :start, :cost) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "count = CASE WHEN rate_windows.window_start = excluded.window_start "
    "THEN rate_windows.count + excluded.count ELSE excluded.count END, "
    "window_start = excluded.window_start "
    "WHERE rate_windows.window_start <> excluded.window_start "
    "OR rate_windows.count + excluded.count <= :limit"
)

# Text, not a select() built per call: building and caching the construct cost ≈ 0.1 ms
# of CPU per metered request, half the admission.
_COUNT = text("SELECT window_start, count FROM rate_windows WHERE bucket = :bucket")


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
    """Admit `cost` requests in `bucket`'s window if they fit in `limit`, atomically (and
    let them through when the store fails)."""
    return RateLimiter(db).hit(bucket, limit, window, cost=cost, now=now)


def _decide(db: Database, bucket: str, limit: int, window: int, cost: int, now: float):
    """The decision from the store; raises what the store raises."""
    start, reset_after = _window(now, window)
    if cost > limit:  # can never fit: no need to ask the database
        return RateDecision(False, limit, 0, reset_after)
    admitted, count = _admit(db, bucket[:200], start, cost, limit)
    return RateDecision(admitted, limit, max(0, limit - count), reset_after)


def _admit(db: Database, bucket: str, window_start: int, cost: int, limit: int) -> tuple[bool, int]:
    """Whether the cost fits (then added), and the window's total after: a refused
    request reads it in the same round trip (a key over its limit sends nothing else)."""
    engine = db.engine
    if engine.dialect.name in ("sqlite", "postgresql"):
        # The statement is its own transaction: the write lock is not held while this
        # thread waits for the GIL before a COMMIT (under load other workers then timed out
        # on the lock, and limits failed open).
        params = {"bucket": bucket, "start": window_start, "cost": cost, "limit": limit}
        autocommit = db.autocommit_engine
        if autocommit is not None:
            admitted, count = _run_admission(autocommit, params)
        else:  # a database in memory: its one engine, in autocommit for this connection
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                admitted = conn.execute(_ADMIT, params).rowcount != 0
                count = _count_on(conn, bucket, window_start)
        return admitted, max(cost, count) if admitted else count
    with engine.begin() as conn:
        # Other databases: read (locking the row) then write, in one transaction.
        row = conn.execute(
            select(rate_windows.c.window_start, rate_windows.c.count)
            .where(rate_windows.c.bucket == bucket)
            .with_for_update()
        ).first()
        if row is None:
            conn.execute(
                rate_windows.insert().values(bucket=bucket, window_start=window_start, count=cost)
            )
            return True, cost
        count = row.count + cost if row.window_start == window_start else cost
        if count > limit:
            return False, count - cost
        conn.execute(
            update(rate_windows)
            .where(rate_windows.c.bucket == bucket)
            .values(window_start=window_start, count=count)
        )
        return True, count


def _run_admission(engine: Engine, params: dict) -> tuple[bool, int]:
    """Whether `_ADMIT` added the cost, and the window's count read after it.

    Both statements are run by the driver on an autocommit connection of the pool, compiled
    once per dialect: ≈ 75 µs a request, against ≈ 530 µs through SQLAlchemy's `Connection`
    (isolation level set and reset at each checkout, result objects). Driver errors are
    raised as SQLAlchemy's, as its `Connection` would.
    """
    admit, count = _compiled(engine.dialect)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    statement, values = admit.string, _driver_params(admit, params)
    try:
        connection = engine.raw_connection()  # from the pool, opened if need be
        try:
            cursor = connection.cursor()
            cursor.execute(statement, values)
            admitted = cursor.rowcount != 0
            # Read after: requests admitted since may be counted too (it only sets a header).
            statement, values = count.string, _driver_params(count, params)
            cursor.execute(statement, values)
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()  # back to the pool
    except dbapi_error as exc:
        raise DBAPIError.instance(statement, values, exc, dbapi_error) from exc
    return admitted, int(row[1]) if row is not None and row[0] == params["start"] else 0


@functools.cache
def _compiled(dialect) -> tuple:
    return _ADMIT.compile(dialect=dialect), _COUNT.compile(dialect=dialect)


def _driver_params(compiled, params: dict):
    """`params` in the driver's style: a tuple for positional ones (SQLite's `?`)."""
    if compiled.positiontup is None:
        return {name: params[name] for name in compiled.params}
    return tuple(params[name] for name in compiled.positiontup)


def _count_on(conn, bucket: str, window_start: int) -> int:
    """The window's count as `conn` reads it (0 once the window has passed)."""
    row = conn.execute(_COUNT, {"bucket": bucket}).first()
    return row.count if row is not None and row.window_start == window_start else 0


class RateLimiter:
    """The limits of one app, counted in its database; fails open when it cannot answer."""

    def __init__(self, db: Database):
        self.db = db
        self._down_until = -math.inf  # monotonic time until which the store is not asked
        self._logged_at = -math.inf

    def hit(
        self, bucket: str, limit: int, window: int, *, cost: int = 1, now: float | None = None
    ) -> RateDecision:
        """Admit `cost` requests in `bucket` if they fit in its limit."""
        now = time.time() if now is None else now
        if time.monotonic() >= self._down_until:
            try:
                return _decide(self.db, bucket, limit, window, cost, now)
            except (SQLAlchemyError, OSError) as exc:
                self._down_until = time.monotonic() + STORE_RETRY_SECONDS
                if time.monotonic() - self._logged_at > FAILURE_LOG_SECONDS:
                    self._logged_at = time.monotonic()
                    log.error("rate limit store unavailable (%s): letting requests through", exc)
        return RateDecision(True, limit, limit, _window(now, window)[1])


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


class InFlight:
    """Requests of each key being answered by this process: at most `limit` at once.

    Rates say how much a key may ask per window; this says how many of a worker's
    threads it may hold, so that one key's slow batches always leave threads for
    /health, the site and the other keys.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, bucket: str) -> bool:
        """Take a place for `bucket`; False (nothing taken) when it holds `limit` already."""
        with self._lock:
            count = self._counts.get(bucket, 0)
            if self.limit and count >= self.limit:
                return False
            self._counts[bucket] = count + 1
            return True

    def leave(self, bucket: str) -> None:
        with self._lock:
            count = self._counts.get(bucket, 0) - 1
            if count > 0:
                self._counts[bucket] = count
            else:
                self._counts.pop(bucket, None)
