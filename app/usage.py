"""The usage log: one row per API request (key, endpoint, status, latency, model version).

Rows are buffered in memory and written in batches by a background thread, so a
request never waits for the database. What a request sent (addresses,
coordinates) is never recorded.
"""

from __future__ import annotations

import atexit
import functools
import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, TextClause, bindparam, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database, api_keys, usage

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
HOUSEKEEPING_SECONDS = 3600.0
FLUSH_ROWS = 500
# Rows of the largest INSERT statement (SQLite allows 32,766 bound values: 11 columns a
# row); a flush writes its rows in statements of powers of two up to it (`_chunks`).
INSERT_ROWS = 256
MAX_BUFFER = 100_000  # beyond this the database is down: drop the oldest, say so
FAILURE_LOG_SECONDS = 60.0


@dataclass(frozen=True)
class UsageRecord:
    at: datetime
    key_id: int | None
    endpoint: str
    method: str
    status: int
    latency_ms: float
    model_version: str | None
    item_count: int = 1
    refusals: str | None = None
    estimates: int | None = None
    low_confidence: int | None = None


# Why a request was refused when nothing more precise was noted (`note_answer`).
STATUS_REASONS = {
    400: "invalid",
    401: "no_valid_key",
    403: "no_valid_key",
    404: "not_found",
    405: "method",
    413: "too_large",
    415: "not_json",
    429: "rate_limited",
    503: "unavailable",
}


@dataclass
class Outcome:
    """What a request's answer held besides its status, noted by the views."""

    refusals: Counter = field(default_factory=Counter)
    estimates: int = 0
    low_confidence: int = 0

    def note(self, refused: Iterable[str | None] = (), confidences: Iterable[str] = ()) -> None:
        self.refusals.update(code or "invalid" for code in refused)
        for level in confidences:
            self.estimates += 1
            self.low_confidence += level == "low"

    def columns(self, status: int) -> dict:
        """The usage row's `refusals`, `estimates` and `low_confidence`."""
        refusals = self.refusals
        if status >= 400 and not refusals:
            refusals = Counter({STATUS_REASONS.get(status, str(status)): 1})
        text = ";".join(f"{code}={n}" for code, n in sorted(refusals.items()))
        answered = self.estimates or None
        return {
            "refusals": text[:500] or None,
            "estimates": answered,
            "low_confidence": self.low_confidence if answered else None,
        }


# One flat row per record (dataclasses.asdict deep-copies every value: slower).
_COLUMNS = tuple(f.name for f in fields(UsageRecord))


def _chunks(rows: list[dict], largest: int) -> Iterable[list[dict]]:
    """`rows` in runs of `largest`, then of the powers of two that make up the rest: a few
    statement sizes, each compiled once per process."""
    start = 0
    while start < len(rows):
        size = min(largest, 1 << ((len(rows) - start).bit_length() - 1))
        yield rows[start : start + size]
        start += size


@functools.cache
def _insert_rows(count: int) -> TextClause:
    """The INSERT of `count` usage rows, with binds `<column>_<row>` typed as the table's.

    Text, built once per size: SQLAlchemy caches its compiled form, where `insert().values`
    of a list was compiled at every flush (0.22 ms of CPU a row, under the GIL: 20 ms once a
    second for a worker answering 100 requests/s).
    """
    values = ", ".join(
        "(" + ", ".join(f":{name}_{row}" for name in _COLUMNS) + ")" for row in range(count)
    )
    statement = text(f"INSERT INTO usage ({', '.join(_COLUMNS)}) VALUES {values}")
    types = [bindparam(f"{name}_{row}", type_=usage.c[name].type) for row in range(count)
             for name in _COLUMNS]  # fmt: skip
    return statement.bindparams(*types)


def _bound(rows: list[dict]) -> dict:
    """The binds of `_insert_rows(len(rows))`."""
    return {f"{name}_{k}": row[name] for k, row in enumerate(rows) for name in _COLUMNS}


class UsageLog:
    """A per-process buffer of usage records, flushed every second and at exit."""

    def __init__(
        self,
        db: Database,
        flush_seconds: float = FLUSH_SECONDS,
        housekeeping: Callable[[], object] | None = None,
    ):
        self.db = db
        self.flush_seconds = flush_seconds
        # Run now and then by the writer thread (e.g. forgetting old rate-limit windows).
        self.housekeeping = housekeeping
        self._buffer: list[dict] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._pid: int | None = None
        self._failed_log = -math.inf

    def record(self, record: UsageRecord) -> None:
        """Queue one record (never blocks on the database)."""
        self._ensure_writer()
        with self._lock:
            self._buffer.append({name: getattr(record, name) for name in _COLUMNS})
            if len(self._buffer) > MAX_BUFFER:
                del self._buffer[: len(self._buffer) - MAX_BUFFER]
                log.error("usage log buffer full: oldest records dropped")
            full = len(self._buffer) >= FLUSH_ROWS
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write what is buffered; the number of rows written."""
        with self._flush_lock:
            with self._lock:
                rows, self._buffer = self._buffer, []
            if not rows:
                return 0
            written = 0
            try:
                # One multi-row INSERT per chunk, each its own transaction: SQLite's write
                # lock is held inside that one call, not across this thread's waits for the
                # GIL (with a transaction around executemany, requests of other workers
                # timed out on the lock under load).
                autocommit = self.db.engine.execution_options(isolation_level="AUTOCOMMIT")
                with autocommit.connect() as conn:
                    for chunk in _chunks(rows, INSERT_ROWS):
                        conn.execute(_insert_rows(len(chunk)), _bound(chunk))
                        written += len(chunk)
            except SQLAlchemyError as exc:
                rows = rows[written:]
                with self._lock:
                    self._buffer[:0] = rows
                    kept = len(self._buffer)
                # Once a minute, not once a second: the database may stay down a while.
                if time.monotonic() - self._failed_log > FAILURE_LOG_SECONDS:
                    self._failed_log = time.monotonic()
                    log.error("usage log: database unavailable (%s): %d rows kept", exc, kept)
                return written
            return len(rows)

    def _ensure_writer(self) -> None:
        # Threads do not survive a fork: each gunicorn worker starts its own writer.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._buffer = []
        threading.Thread(target=self._run, name="usage-log", daemon=True).start()
        atexit.register(self.flush)

    def _run(self) -> None:
        last_housekeeping = time.monotonic()
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()
            if self.housekeeping and time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                try:
                    self.housekeeping()
                except Exception:  # never let the writer thread die
                    log.exception("usage log housekeeping failed")


def summary(db: Database, since: datetime | None = None) -> tuple[list[dict], list[dict]]:
    """Per key and endpoint: requests, errors, latency; and requests per model version."""
    since = since or datetime.now(UTC) - timedelta(days=30)
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                usage.c.key_id,
                api_keys.c.name,
                usage.c.endpoint,
                func.count().label("requests"),
                func.sum(usage.c.item_count).label("items"),
                func.sum((usage.c.status >= 400).cast(Integer)).label("errors"),
                func.sum((usage.c.status == 429).cast(Integer)).label("limited"),
                func.avg(usage.c.latency_ms).label("mean_latency_ms"),
                func.max(usage.c.latency_ms).label("max_latency_ms"),
                func.min(usage.c.at).label("first"),
                func.max(usage.c.at).label("last"),
            )
            .select_from(usage.outerjoin(api_keys, usage.c.key_id == api_keys.c.id))
            .where(usage.c.at >= since)
            .group_by(usage.c.key_id, api_keys.c.name, usage.c.endpoint)
            .order_by(api_keys.c.name, usage.c.endpoint)
        ).all()
        versions = conn.execute(
            select(usage.c.model_version, func.count().label("requests"))
            .where(usage.c.at >= since, usage.c.model_version.is_not(None))
            .group_by(usage.c.model_version)
            .order_by(usage.c.model_version)
        ).all()
    table = [dict(row._mapping) for row in rows]
    return table, [dict(row._mapping) for row in versions]
