"""API keys: created once and shown once, stored hashed, revocable.

A key reads `imv_` followed by 43 URL-safe characters (256 random bits). Only its
sha256 and its first characters are stored.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database, api_keys

KEY_PREFIX = "imv_"
SHOWN_CHARS = 12  # "imv_" + 8 characters, enough to tell keys apart in a list
MAX_NAME_LENGTH = 200  # the column's width
# Control, format (e.g. right-to-left override) and line/paragraph separator characters:
# in a name they could forge or hide a line of `immoval apikeys list`.
_UNPRINTABLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


@dataclass(frozen=True)
class ApiKey:
    """A key as stored: never the key itself."""

    id: int
    name: str
    prefix: str
    rate_limit: int | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(db: Database, name: str, rate_limit: int | None = None) -> tuple[ApiKey, str]:
    """Store a new key for `name`; return its record and the key, which is shown only once."""
    name = name.strip()
    if not name:
        raise ValueError("a key needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a key's name has at most {MAX_NAME_LENGTH} characters")
    bad = sorted({f"U+{ord(c):04X}" for c in name if unicodedata.category(c) in _UNPRINTABLE})
    if bad:
        raise ValueError(f"a key's name must be printable text (found {', '.join(bad)})")
    if rate_limit is not None and rate_limit < 1:
        raise ValueError("rate limit must be at least 1")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        result = conn.execute(
            insert(api_keys).values(
                name=name,
                prefix=key[:SHOWN_CHARS],
                key_hash=hash_key(key),
                rate_limit=rate_limit,
                created_at=now,
            )
        )
        key_id = result.inserted_primary_key[0]
    return ApiKey(key_id, name, key[:SHOWN_CHARS], rate_limit, now, None), key


def printable(name: str) -> str:
    """A stored name as one line of text (names stored before they were checked)."""
    return "".join(
        c if unicodedata.category(c) not in _UNPRINTABLE else f"\\u{ord(c):04x}" for c in name
    )


def list_keys(db: Database) -> list[ApiKey]:
    """Every key ever created, oldest first."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(*_COLUMNS).order_by(api_keys.c.id)).all()
    return [_record(row) for row in rows]


def revoke_key(db: Database, key_id: int) -> ApiKey | None:
    """Revoke a key by id (idempotent); None when there is no such key."""
    with db.engine.begin() as conn:
        conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        row = conn.execute(select(*_COLUMNS).where(api_keys.c.id == key_id)).first()
    return _record(row) if row else None


def find_key(db: Database, key: str) -> ApiKey | None:
    """The record of a presented key, revoked or not; None when unknown."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    with db.engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(api_keys.c.key_hash == hash_key(key))).first()
    return _record(row) if row else None


class KeyStoreUnavailable(RuntimeError):
    """The database cannot say whether a key is valid (and no recent answer is cached)."""


class KeyCache:
    """Recently checked keys, so that most requests skip the database.

    A revocation reaches every worker within `ttl` seconds. When the database cannot
    answer, the last answer about a key is used however old (authentication fails
    closed only for keys this process has never checked: `KeyStoreUnavailable`).
    """

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._entries: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, db: Database, key: str) -> ApiKey | None:
        digest = hash_key(key)
        now = time.monotonic()
        entry = self._entries.get(digest)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        try:
            record = find_key(db, key)
        except (SQLAlchemyError, OSError) as exc:
            if entry is not None:
                return entry[1]
            message = f"API keys cannot be checked now ({type(exc).__name__})"
            raise KeyStoreUnavailable(message) from exc
        with self._lock:
            if len(self._entries) > 10_000:  # unknown keys must not grow it without bound
                self._entries.clear()
            self._entries[digest] = (now, record)
        return record

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.rate_limit,
    api_keys.c.created_at,
    api_keys.c.revoked_at,
)


def _record(row) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        rate_limit=row.rate_limit,
        created_at=_utc(row.created_at),
        revoked_at=_utc(row.revoked_at),
    )


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
