"""The app's own database: API keys, rate-limit windows and the usage log (SQLAlchemy).

SQLite under `IMMOVAL_HOME` by default; any SQLAlchemy URL through
`IMMOVAL_DATABASE_URL`. Tables are created on first use. Each process (gunicorn
worker) opens its own engine: connections are never shared across a fork.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from functools import partial
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.exc import OperationalError

DB_FILENAME = "immoval.sqlite3"
# How long a writer waits for another's lock: the commands can wait; a request cannot
# (the app passes DATABASE_BUSY_SECONDS, then goes on without the database).
BUSY_TIMEOUT_SECONDS = 5.0

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    # First characters of the key, shown by `immoval apikeys list` to tell keys apart.
    Column("prefix", String(16), nullable=False),
    # sha256 of the whole key: keys are 256-bit random strings, so a fast hash is enough.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("rate_limit", Integer, nullable=True),  # requests per window; NULL = app default
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

rate_windows = Table(
    "rate_windows",
    metadata,
    Column("bucket", String(200), primary_key=True),
    Column("window_start", Integer, nullable=False),  # unix seconds
    Column("count", Integer, nullable=False),
)

# One row per API request. No address, no coordinates: only what metering needs.
usage = Table(
    "usage",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", Integer, nullable=True),
    Column("endpoint", String(100), nullable=False),
    Column("method", String(10), nullable=False),
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("model_version", String(100), nullable=True),
    Column("item_count", Integer, nullable=False, default=1),  # properties in a batch
    # Items refused and why, as `code=count;…` (`outside_coverage`, `invalid`, `deadline`,
    # or the status's reason for a refused request); NULL: none.
    Column("refusals", String(500), nullable=True),
    # Estimates answered, and how many of them with a low confidence (NULL: none answered).
    Column("estimates", Integer, nullable=True),
    Column("low_confidence", Integer, nullable=True),
    Index("ix_usage_at", "at"),
)


def database_url(home: str | Path, url: str | None = None) -> str:
    """The configured URL, or an SQLite file under `home`."""
    if url:
        return url
    return f"sqlite:///{Path(home).resolve() / DB_FILENAME}"


CREATE_ATTEMPTS = 10


def make_engine(url: str, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Engine:
    """An engine with the tables created; SQLite tuned for several worker processes."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = _tuned_engine(url, busy_timeout)
    for attempt in range(CREATE_ATTEMPTS):
        try:
            metadata.create_all(engine)
            add_missing_columns(engine)
            break
        except OperationalError:
            # Workers starting together race to create the tables (each table can be lost
            # to another): the loser retries.
            if attempt == CREATE_ATTEMPTS - 1:
                raise
    return engine


def _tuned_engine(url: str, busy_timeout: float, **options) -> Engine:
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=int(busy_timeout * 1000)))
    return engine


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the nullable columns a table of an older database lacks (create_all creates
    only missing tables); the `table.column` names added."""
    from sqlalchemy import inspect, text

    added = []
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
            added.append(f"{table.name}.{column.name}")
    return added


def _sqlite_pragmas(dbapi_connection, _record, busy_ms: int) -> None:
    # WAL lets readers and the single writer work at once; busy_timeout makes writers
    # of other workers wait for the lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")  # first: the next ones may wait too
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:  # a read-only or locked file: keep its mode, read it
        pass
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """A lazily opened engine, reopened in each forked process."""

    def __init__(self, url: str, busy_timeout: float = BUSY_TIMEOUT_SECONDS):
        self.url = url
        self.busy_timeout = busy_timeout
        self._engine: Engine | None = None
        self._autocommit: Engine | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        if self._engine is None or self._pid != os.getpid():
            with self._lock:
                if self._engine is None or self._pid != os.getpid():
                    if self._engine is not None:
                        # Inherited from the parent: drop its connections without closing them.
                        self._engine.dispose(close=False)
                    if self._autocommit is not None:
                        self._autocommit.dispose(close=False)
                        self._autocommit = None
                    self._engine = make_engine(self.url, self.busy_timeout)
                    self._pid = os.getpid()
        return self._engine

    def close_connections(self) -> None:
        """Close the pooled connections of this process (they reopen on next use)."""
        for engine in (self._engine, self._autocommit):
            if engine is not None and self._pid == os.getpid():
                engine.dispose()

    @property
    def autocommit_engine(self) -> Engine | None:
        """A second engine of this process whose connections are always in autocommit (one
        statement, one transaction) even through the driver, without an isolation level
        set and reset at each checkout (`engine.connect().execution_options(...)`: ≈ 130 µs).
        None for a database in memory, which exists in its own engine only."""
        engine = self.engine  # first: it creates the tables, and after a fork drops both
        if engine.url.database in (None, "", ":memory:"):
            return None
        if self._autocommit is None:
            with self._lock:
                if self._autocommit is None:
                    self._autocommit = _tuned_engine(
                        self.url, self.busy_timeout, isolation_level="AUTOCOMMIT"
                    )
        return self._autocommit


def init_app(app: Flask) -> None:
    """Attach the database of this app (opened on first use)."""
    url = database_url(app.config["HOME"], app.config.get("DATABASE_URL"))
    app.extensions["immoval.db"] = Database(url, float(app.config["DATABASE_BUSY_SECONDS"]))


def get_db() -> Database:
    """The database of the current app."""
    return current_app.extensions["immoval.db"]
