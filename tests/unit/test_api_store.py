"""API keys, rate-limit windows and the usage log on a real SQLite database."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import apikeys
from app.db import Database, database_url
from app.ratelimit import RateLimiter, hit, prune
from app.usage import UsageLog, UsageRecord, summary


@pytest.fixture()
def db(tmp_path) -> Database:
    return Database(database_url(tmp_path))


def test_database_defaults_to_sqlite_under_home(tmp_path):
    assert database_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/immoval.sqlite3"
    assert database_url(tmp_path, "postgresql://x/y") == "postgresql://x/y"


def test_a_key_is_stored_hashed_and_found_again(db):
    record, key = apikeys.create_key(db, "Agence du Port", rate_limit=30)
    assert key.startswith("imv_") and len(key) > 40
    assert apikeys.find_key(db, key) == record
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("select prefix, key_hash from api_keys").one()
    assert key not in "".join(stored) and stored.key_hash == apikeys.hash_key(key)
    assert apikeys.find_key(db, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert apikeys.find_key(db, "not-a-key") is None


def test_revocation_is_recorded_and_idempotent(db):
    record, key = apikeys.create_key(db, "A")
    first = apikeys.revoke_key(db, record.id)
    assert first.revoked and apikeys.find_key(db, key).revoked
    assert apikeys.revoke_key(db, record.id).revoked_at == first.revoked_at
    assert apikeys.revoke_key(db, 999) is None
    assert [k.id for k in apikeys.list_keys(db)] == [record.id]


def test_a_key_needs_a_name(db):
    with pytest.raises(ValueError):
        apikeys.create_key(db, "   ")


def test_the_key_cache_sees_a_revocation_after_its_ttl(db):
    record, key = apikeys.create_key(db, "A")
    cache = apikeys.KeyCache(ttl=0.2)
    assert not cache.lookup(db, key).revoked
    apikeys.revoke_key(db, record.id)
    assert not cache.lookup(db, key).revoked  # still cached
    time.sleep(0.25)
    assert cache.lookup(db, key).revoked


def test_fixed_windows_count_and_reset(db):
    now = 1_000_040.0  # 20 s into a 60 s window
    decisions = [hit(db, "key:1", 3, 60, now=now) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].retry_after == 40
    assert hit(db, "key:2", 3, 60, now=now).allowed  # buckets are separate
    assert hit(db, "key:1", 3, 60, now=now + 40).allowed  # next window
    assert not hit(db, "key:1", 3, 60, now=now + 41, cost=3).allowed


def test_windows_are_shared_by_concurrent_callers(db):
    now = time.time()
    results = []

    def worker():
        local = Database(db.url)  # like another worker process: its own engine
        results.extend(hit(local, "ip:1.2.3.4", 50, 3600, now=now).allowed for _ in range(20))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 50 and results.count(False) == 30


def test_old_windows_are_pruned(db):
    hit(db, "a", 5, 60, now=1000.0)
    hit(db, "b", 5, 60, now=100_000.0)
    assert prune(db, older_than=3600, now=100_000.0) == 1


def test_the_limiter_lets_requests_through_when_its_store_fails(tmp_path):
    (tmp_path / "home").write_text("a file where a folder should be")
    broken = Database(f"sqlite:///{tmp_path}/home/x.sqlite3")
    decision = hit(broken, "key:1", 1, 60)
    assert decision.allowed


def _record(key_id, endpoint, status, latency, version="v1", items=1):
    return UsageRecord(datetime.now(UTC), key_id, endpoint, "POST", status, latency, version, items)


def test_usage_is_buffered_then_summarised_per_key_and_endpoint(db):
    record, _ = apikeys.create_key(db, "Agence")
    log = UsageLog(db, flush_seconds=60)
    log.record(_record(record.id, "/api/v1/estimates", 200, 8.0))
    log.record(_record(record.id, "/api/v1/estimates", 429, 1.0))
    log.record(_record(record.id, "/api/v1/estimates/batch", 200, 300.0, items=1000))
    log.record(_record(None, "/api/v1/estimates", 401, 0.5, version=None))
    assert summary(db)[0] == []  # nothing written before a flush
    assert log.flush() == 4 and log.flush() == 0
    rows, versions = summary(db)
    by_endpoint = {(r["name"], r["endpoint"]): r for r in rows}
    single = by_endpoint[("Agence", "/api/v1/estimates")]
    assert (single["requests"], single["errors"], single["limited"]) == (2, 1, 1)
    assert by_endpoint[("Agence", "/api/v1/estimates/batch")]["items"] == 1000
    assert by_endpoint[(None, "/api/v1/estimates")]["errors"] == 1
    assert versions == [{"model_version": "v1", "requests": 3}]
    assert summary(db, since=datetime.now(UTC) + timedelta(minutes=1)) == ([], [])


def test_usage_rows_beyond_one_statement_are_all_written(db, monkeypatch):
    import app.usage

    monkeypatch.setattr(app.usage, "INSERT_ROWS", 3)  # 10 rows: 4 statements
    record, _ = apikeys.create_key(db, "Agence")
    log = UsageLog(db, flush_seconds=60)
    for n in range(10):
        log.record(_record(record.id, "/api/v1/estimates", 200, float(n)))
    assert log.flush() == 10 and log.flush() == 0
    assert summary(db)[0][0]["requests"] == 10


def test_usage_rows_written_in_statements_of_several_sizes_keep_their_own_values(db, monkeypatch):
    from sqlalchemy import select

    import app.usage
    from app.db import usage

    monkeypatch.setattr(app.usage, "INSERT_ROWS", 4)  # 11 rows: 4 + 4 + 2 + 1
    record, _ = apikeys.create_key(db, "Agence")
    log = UsageLog(db, flush_seconds=60)
    sent = [
        _record(record.id if n % 2 else None, f"/api/v1/e{n}", 200 + n, n + 0.5, f"v{n}", n)
        for n in range(11)
    ]
    for one in sent:
        log.record(one)
    assert log.flush() == 11
    columns = ("key_id", "endpoint", "status", "latency_ms", "model_version", "item_count")
    with db.engine.connect() as conn:
        stored = conn.execute(select(*(usage.c[c] for c in columns)).order_by(usage.c.status))
        rows = [tuple(row) for row in stored]
    assert rows == [tuple(getattr(one, c) for c in columns) for one in sent]


def test_the_usage_writer_flushes_in_the_background(db):
    log = UsageLog(db, flush_seconds=0.05)
    log.record(_record(None, "/api/v1/model", 200, 1.0))
    deadline = time.monotonic() + 5
    while not summary(db)[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert summary(db)[0][0]["requests"] == 1


def test_a_cost_is_admitted_whole_or_not_at_all(db):
    limiter = RateLimiter(db)
    now = 2_000_000.0  # 40 s before the window ends

    def stored():
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("select count from rate_windows").scalar_one()

    assert limiter.hit("key:9", 10, 60, now=now, cost=7).remaining == 3
    refused = limiter.hit("key:9", 10, 60, now=now, cost=4)  # a batch of 4: does not fit
    assert not refused.allowed and refused.remaining == 3 and refused.retry_after == 40
    assert stored() == 7  # a refused request costs nothing
    assert limiter.hit("key:9", 10, 60, now=now, cost=3).allowed and stored() == 10
    assert not limiter.hit("key:9", 10, 60, now=now).allowed
    assert not limiter.hit("key:8", 10, 60, now=now, cost=11).allowed  # never fits
    assert limiter.hit("key:9", 10, 60, now=now + 40, cost=10).allowed  # a new window


def test_limiters_of_several_workers_share_one_count(db):
    workers = [RateLimiter(Database(db.url)) for _ in range(3)]
    now = 3_000_000.0
    allowed = [w.hit("key:1", 30, 60, now=now).allowed for _ in range(15) for w in workers]
    assert allowed.count(True) == 30


def test_the_count_of_a_window_that_cannot_be_opened_fails_open_and_says_so(db, caplog):
    limiter = RateLimiter(db)
    now = 4_000_000.0
    assert limiter.hit("key:2", 1, 60, now=now).allowed
    assert not limiter.hit("key:2", 1, 60, now=now).allowed
    # The file replaced by a folder: a new connection of the admission cannot open it.
    db.close_connections()
    path = db.engine.url.database
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    Path(path).mkdir()
    with caplog.at_level("ERROR", logger="app.ratelimit"):
        decision = limiter.hit("key:2", 1, 60, now=now)
    assert decision.allowed and decision.remaining == 1  # let through, not a 500
    assert "rate limit store unavailable" in caplog.text


def test_the_admission_counts_on_a_database_in_memory():
    limiter = RateLimiter(Database("sqlite:///:memory:"))
    decisions = [limiter.hit("key:3", 3, 60, now=5_000_000.0) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]


@pytest.mark.parametrize(
    "name",
    ["Agence\n   7  imv_forged…  default  Banque", "a\rb", "\x1b[31mrouge", "a\u202eb", "x" * 201],
)
def test_a_key_name_is_one_line_of_printable_text(db, tmp_path, name):
    from click.testing import CliRunner

    from training.cli import main

    with pytest.raises(ValueError, match="printable|at most"):
        apikeys.create_key(db, name)
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path), "apikeys", "create", "--name", name]
    )
    assert result.exit_code == 2 and "--name" in result.output
    assert apikeys.list_keys(db) == []


def test_a_name_stored_before_the_check_is_listed_on_one_line(db, tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import update

    from app.db import api_keys
    from training.cli import main

    record, _ = apikeys.create_key(db, "Agence du Port")
    with db.engine.begin() as conn:
        conn.execute(update(api_keys).values(name="Agence\n   9  imv_forged"))
    listed = CliRunner().invoke(main, ["--home", str(tmp_path), "apikeys", "list"]).output
    assert listed.count("\n") == 2 and "Agence\\u000a   9  imv_forged" in listed
    assert apikeys.printable("Agence du Port é") == "Agence du Port é"


def test_keys_fail_closed_only_when_never_seen(db, tmp_path):
    record, key = apikeys.create_key(db, "Agence")
    cache = apikeys.KeyCache(ttl=0.0)  # every lookup asks the database
    assert cache.lookup(db, key) == record
    (tmp_path / "home").write_text("a file where a folder should be")
    broken = Database(f"sqlite:///{tmp_path}/home/x.sqlite3")
    assert cache.lookup(broken, key) == record  # the last answer, however old
    with pytest.raises(apikeys.KeyStoreUnavailable):
        cache.lookup(broken, key + "x")
